import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { formatPosition, streamId, type StreamId } from '@clientela/contracts';
import { bootTestService, expectProblem, type TestService } from '@clientela/service-kit/testing';
import { analyticsService } from '../analytics-service';

// Five customers whose RFM is computed by hand below (as of 1998-01-31, USD). With five customers
// percent_rank is (rank - 1) / 4: 0, .25, .5, .75, 1, so scores 1 to 5; ties share the lowest rank.
// Orders are appended straight to the store, as the contacts service's ingest appends them. The
// projection and the query do not depend on the bus (its Kafka mode is the e2e test's).
describe('RFM, segments and movements over HTTP', () => {
  let service: TestService;
  let position = '0';
  const http = () => request(service.server);
  const [a, b, c, d, e] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()].sort();

  const place = async (customerId: string, amount: string, day: string, currency = 'USD'): Promise<StreamId> => {
    const stream = streamId('order');
    const orderId = randomUUID();
    const data = { customerId, source: 'shop', sourceEventId: orderId, occurredAt: `${day}T12:00:00Z`, orderId, lines: [{ sku: 'cd', quantity: 1, unitPrice: amount }], amount, currency };
    position = formatPosition((await service.infra.store.append(stream, [{ type: 'CustomerOrderPlaced', data }])).position);
    return stream;
  };
  const refund = async (stream: StreamId, customerId: string, amount: string, day: string) => {
    const data = { customerId, source: 'shop', sourceEventId: randomUUID(), occurredAt: `${day}T08:00:00Z`, orderId: 'x', amount, currency: 'USD' };
    position = formatPosition((await service.infra.store.append(stream, [{ type: 'CustomerOrderRefunded', data }])).position);
  };

  beforeAll(async () => {
    service = await bootTestService(analyticsService);
    // a: three purchase days (two orders on 01-30 are one), 65.00, last 1998-01-30: recency 1.
    await place(a, '30.00', '1997-12-01');
    await place(a, '20.00', '1998-01-20');
    await place(a, '10.00', '1998-01-30');
    await place(a, '5.00', '1998-01-30');
    // b: 100.00 less a 40.00 refund = 60.00, one day, recency 6.
    await refund(await place(b, '100.00', '1998-01-25'), b, '40.00', '1998-01-26');
    // c: four days, 60.50, last 1997-09-01: recency 29 + 31 + 30 + 31 + 31 = 152.
    for (const [amount, day] of [['15', '1997-06-01'], ['15', '1997-07-01'], ['15', '1997-08-01'], ['15.50', '1997-09-01']]) await place(c, amount, day);
    // d: one day, 5.00, recency 365 + 16 = 381; its EUR order is another currency and does not count.
    await place(d, '5.00', '1997-01-15');
    await place(d, '999.00', '1998-01-20', 'EUR');
    // e: two days, 200.01, recency 16; the refund and the order after the date do not count yet.
    const big = await place(e, '200.00', '1998-01-10');
    await place(e, '0.01', '1998-01-15');
    await place(e, '7.00', '1998-02-05');
    await refund(big, e, '50.00', '1998-02-10');
  });
  afterAll(async () => {
    await service?.close();
  });

  // Recency desc: d 381, c 152, e 16, b 6, a 1 → R 1..5. Frequency asc: b 1 = d 1 (both 1), e 2 (3),
  // a 3 (4), c 4 (5). Monetary asc: d 5, b 60, c 60.50, a 65, e 200.01 → M 1..5.
  const expected = {
    [a]: { recencyDays: 1, frequency: 3, monetary: '65.00', recencyScore: 5, frequencyScore: 4, monetaryScore: 4, segment: 'Champions', firstPurchaseOn: '1997-12-01', lastPurchaseOn: '1998-01-30' },
    [b]: { recencyDays: 6, frequency: 1, monetary: '60.00', recencyScore: 4, frequencyScore: 1, monetaryScore: 2, segment: 'Promising', firstPurchaseOn: '1998-01-25', lastPurchaseOn: '1998-01-25' },
    [c]: { recencyDays: 152, frequency: 4, monetary: '60.50', recencyScore: 2, frequencyScore: 5, monetaryScore: 3, segment: 'Cannot Lose Them', firstPurchaseOn: '1997-06-01', lastPurchaseOn: '1997-09-01' },
    [d]: { recencyDays: 381, frequency: 1, monetary: '5.00', recencyScore: 1, frequencyScore: 1, monetaryScore: 1, segment: 'Lost', firstPurchaseOn: '1997-01-15', lastPurchaseOn: '1997-01-15' },
    [e]: { recencyDays: 16, frequency: 2, monetary: '200.01', recencyScore: 3, frequencyScore: 3, monetaryScore: 5, segment: 'Need Attention', firstPurchaseOn: '1998-01-10', lastPurchaseOn: '1998-01-15' },
  };

  it('computes every customer\'s values, scores and segment as of the date, exactly', async () => {
    const response = await http().get('/api/v1/analytics/rfm?asOf=1998-01-31&sort=monetary').set('x-min-position', position).expect(200);
    expect(response.body).toEqual({ items: [d, b, c, a, e].map((customerId) => ({ customerId, ...expected[customerId] })) });
  });

  it('pages by cursor, filters by segment and customer, and exports CSV with the values and the three scores', async () => {
    const first = await http().get('/api/v1/analytics/rfm?asOf=1998-01-31&sort=-score&limit=2').set('x-min-position', position).expect(200);
    expect(first.body.items.map((r: { customerId: string }) => r.customerId)).toEqual([a, b]); // 544, 412
    const second = await http().get(`/api/v1/analytics/rfm?asOf=1998-01-31&sort=-score&limit=2&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body.items.map((r: { customerId: string }) => r.customerId)).toEqual([e, c]); // 335, 253
    const last = await http().get(`/api/v1/analytics/rfm?asOf=1998-01-31&sort=-score&limit=2&cursor=${second.body.nextCursor}`).expect(200);
    expect(last.body).toEqual({ items: [expect.objectContaining({ customerId: d })] });
    const lost = await http().get('/api/v1/analytics/rfm?asOf=1998-01-31&segment=Lost').expect(200);
    expect(lost.body.items.map((r: { customerId: string }) => r.customerId)).toEqual([d]);
    const one = await http().get(`/api/v1/analytics/rfm?asOf=1998-01-31&customer=${e}`).expect(200);
    expect(one.body.items).toEqual([{ customerId: e, ...expected[e] }]);
    const csv = await http().get('/api/v1/analytics/rfm?asOf=1998-01-31&sort=-recencyDays').set('accept', 'text/csv').expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.trim().split('\r\n')).toEqual([
      'customer_id,recency_days,frequency,monetary,recency_score,frequency_score,monetary_score,segment,first_purchase_on,last_purchase_on',
      `${d},381,1,5.00,1,1,1,Lost,1997-01-15,1997-01-15`,
      `${c},152,4,60.50,2,5,3,Cannot Lose Them,1997-06-01,1997-09-01`,
      `${e},16,2,200.01,3,3,5,Need Attention,1998-01-10,1998-01-15`,
      `${b},6,1,60.00,4,1,2,Promising,1998-01-25,1998-01-25`,
      `${a},1,3,65.00,5,4,4,Champions,1997-12-01,1998-01-30`,
    ]);
  });

  it('counts a refund from the day it was paid back, and a later order from its day', async () => {
    // As of 1998-02-28: e has 200.01 + 7.00 - 50.00 = 157.01 over three days, last 02-05 (recency 23).
    const response = await http().get(`/api/v1/analytics/rfm?asOf=1998-02-28&customer=${e}`).set('x-min-position', position).expect(200);
    expect(response.body.items).toEqual([expect.objectContaining({ customerId: e, frequency: 3, monetary: '157.01', recencyDays: 23 })]);
  });

  it('gives every segment\'s size and values, the empty ones too', async () => {
    const response = await http().get('/api/v1/analytics/segments?asOf=1998-01-31').set('x-min-position', position).expect(200);
    expect(response.body.customers).toBe(5);
    expect(response.body.items).toHaveLength(11);
    expect(response.body.items.find((s: { segment: string }) => s.segment === 'Champions')).toEqual({
      segment: 'Champions', customers: 1, share: '0.2000', monetary: '65.00', averageMonetary: '65', averageFrequency: '3', averageRecencyDays: '1',
    });
    expect(response.body.items.find((s: { segment: string }) => s.segment === 'Loyal')).toEqual({
      segment: 'Loyal', customers: 0, share: '0', monetary: '0', averageMonetary: null, averageFrequency: null, averageRecencyDays: null,
    });
  });

  // As of 1997-12-31 three customers: recency d 350, c 121, a 30 → R 1, 3, 5; frequency a 1 = d 1 → 1, c 4 → 5.
  // So a (5,1) New Customers, c (3,5) Loyal, d (1,1) Lost; b and e had not bought yet.
  it('says who moved from which segment to which between two dates', async () => {
    const summary = await http().get('/api/v1/analytics/segment-movements?from=1997-12-31&to=1998-01-31').set('x-min-position', position).expect(200);
    expect(summary.body).toEqual({
      from: '1997-12-31', to: '1998-01-31', currency: 'USD',
      items: [
        { fromSegment: null, toSegment: 'Need Attention', customers: 1 },
        { fromSegment: null, toSegment: 'Promising', customers: 1 },
        { fromSegment: 'Lost', toSegment: 'Lost', customers: 1 },
        { fromSegment: 'Loyal', toSegment: 'Cannot Lose Them', customers: 1 },
        { fromSegment: 'New Customers', toSegment: 'Champions', customers: 1 },
      ],
    });
    const moved = await http().get('/api/v1/analytics/segment-movements/customers?from=1997-12-31&to=1998-01-31&changed=true').expect(200);
    expect(moved.body.items.map((m: { customerId: string }) => m.customerId)).toEqual([a, b, c, e]);
    const fresh = await http().get('/api/v1/analytics/segment-movements/customers?from=1997-12-31&to=1998-01-31&fromSegment=none').set('accept', 'text/csv').expect(200);
    expect(fresh.text.trim().split('\r\n')).toEqual(['customer_id,from_segment,to_segment,monetary', `${b},,Promising,60.00`, `${e},,Need Attention,200.01`]);
  });

  it('publishes CustomerSegmentChanged for each customer whose segment moved, once per day however often it runs', async () => {
    const first = await http().post('/api/v1/analytics/segment-changes').set('x-min-position', position).send({ asOf: '1997-12-31' }).expect(200);
    expect(first.body).toEqual({ asOf: '1997-12-31', currency: 'USD', changed: 3, duplicates: 0, position: expect.any(String) });
    const second = await http().post('/api/v1/analytics/segment-changes').set('x-min-position', first.body.position).send({ asOf: '1998-01-31' }).expect(200);
    expect(second.body).toMatchObject({ changed: 4, duplicates: 0 }); // d stayed Lost
    const again = await http().post('/api/v1/analytics/segment-changes').set('x-min-position', second.body.position).send({ asOf: '1998-01-31' }).expect(200);
    expect(again.body).toEqual({ asOf: '1998-01-31', currency: 'USD', changed: 0, duplicates: 0 });
    const stream = await service.infra.store.readStream(`customerSegment-${a}` as StreamId);
    expect(stream.map((e) => e.data)).toEqual([
      { customerId: a, to: 'New Customers', asOf: '1997-12-31', currency: 'USD', recencyScore: 5, frequencyScore: 1, monetaryScore: 3 }, // monetary d 5, a 30, c 60.50
      { customerId: a, from: 'New Customers', to: 'Champions', asOf: '1998-01-31', currency: 'USD', recencyScore: 5, frequencyScore: 4, monetaryScore: 4 },
    ]);
    expect((await service.infra.store.readStream(`customerSegment-${d}` as StreamId))).toHaveLength(1);
    expectProblem(await http().post('/api/v1/analytics/segment-changes').send({ asOf: '2999-01-01' }), 422);
    expectProblem(await http().post('/api/v1/analytics/segment-changes').send({ asOf: 'yesterday' }), 400);
    expectProblem(await http().post('/api/v1/analytics/segment-changes').send({ day: '1998-01-31' }), 400);
  });

  it('fits the value model per calibration date, refuses one without repeat buyers, and fits again once orders change', async () => {
    const none = await http().get('/api/v1/analytics/value-model?calibrationEnd=1997-01-31').set('x-min-position', position);
    expectProblem(none, 422);
    expect(none.body.rule ?? none.body.code).toBe('not_enough_purchases');
    // By 1998-01-31 all five had bought; a (2 repeat days), c (3) and e (1) have repeat spend.
    const first = await http().get('/api/v1/analytics/value-model?calibrationEnd=1998-01-31').expect(200);
    expect(first.body).toMatchObject({ calibrationEnd: '1998-01-31', currency: 'USD', customers: 5, gammaGamma: { customers: 3 } });
    expect(Object.values(first.body.bgnbd as Record<string, number>).every(Number.isFinite)).toBe(true);
    // A second purchase day for b makes it a repeat buyer: the cached model is not served any more.
    await place(b, '12.00', '1998-01-28');
    const again = await http().get('/api/v1/analytics/value-model?calibrationEnd=1998-01-31').set('x-min-position', position).expect(200);
    expect(again.body.gammaGamma.customers).toBe(4);
  });

  it('refuses bad dates, sorts, segments and cursors with problem+json', async () => {
    expectProblem(await http().get('/api/v1/analytics/rfm?asOf=1998-02-30'), 400);
    expectProblem(await http().get('/api/v1/analytics/rfm?asOf=31/01/1998'), 400);
    expectProblem(await http().get('/api/v1/analytics/rfm?sort=name'), 400);
    expectProblem(await http().get('/api/v1/analytics/rfm?segment=Gold'), 400);
    expectProblem(await http().get('/api/v1/analytics/rfm?cursor=bm90LWEtY3Vyc29y'), 400);
    expectProblem(await http().get('/api/v1/analytics/segments?currency=XXXX'), 400);
    expectProblem(await http().get('/api/v1/analytics/segment-movements?from=1998-01-31&to=1997-12-31'), 400);
    expectProblem(await http().get('/api/v1/analytics/segment-movements/customers?to=1997-12-31'), 400);
    expectProblem(await http().get('/api/v1/analytics/value-model'), 400);
    expectProblem(await http().get('/api/v1/analytics/value-model?calibrationEnd=1997-13-01'), 400);
  });
});
