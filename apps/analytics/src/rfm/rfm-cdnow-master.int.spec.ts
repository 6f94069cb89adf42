import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { formatPosition, streamId, toUnits, type CdnowPurchase } from '@clientela/contracts';
import { requestProjectionRebuild } from '@clientela/projections';
import { bootTestService, expectProblem, type TestService } from '@clientela/service-kit/testing';
import { analyticsService } from '../analytics-service';
import { churnBandOf, DEFAULT_LOYALTY_RULES, tierOf } from '../loyalty/loyalty-rules';
import { PURCHASES_PROJECTION } from '../purchases/purchases.projection';
import { cdnowMasterPurchases, loadCdnowReference, parseRfmCsv, referenceRfm, rfmDifferences } from './testing/cdnow-rfm-reference';

// Done when (issue 11): the RFM values and scores of every customer of cdnow_master as of 1998-06-30
// equal a plain computation of the definition over the same orders. The orders are appended to the
// store as the contacts service's ingest appends them (one `order-` stream each, batches of 1,000 in one
// call), not ingested: the platform's cdnow run covers ingest. The reference is independent of the
// service's query: values by plain SQL over a table loaded from the file, percent ranks and scores in
// TypeScript.
const AS_OF = '1998-06-30';
const purchases: CdnowPurchase[] = cdnowMasterPurchases();

describe('RFM of every cdnow_master customer as of 1998-06-30 against a plain computation', () => {
  let service: TestService;
  let position = '0';
  const customerOf = new Map<string, string>();

  beforeAll(async () => {
    service = await bootTestService(analyticsService);
    for (const p of purchases) if (!customerOf.has(p.customer)) customerOf.set(p.customer, randomUUID());
    for (let i = 0; i < purchases.length; i += 1_000) {
      const appends = purchases.slice(i, i + 1_000).map((p, j) => {
        const orderId = `${p.customer}-${p.date}-${i + j}`;
        const amount = p.dollars.toFixed(2);
        const data = { customerId: customerOf.get(p.customer), source: 'cdnow', sourceEventId: orderId, occurredAt: `${p.date}T00:00:00Z`, orderId, lines: [{ sku: 'CD', quantity: Math.max(p.cds, 1), unitPrice: amount }], amount, currency: 'USD' };
        return { streamId: streamId('order'), expectedRevision: 'no_stream' as const, events: [{ type: 'CustomerOrderPlaced', data }] };
      });
      position = formatPosition((await service.infra.store.appendToStreams(appends)).position);
    }
    // The reference's own table, loaded from the file, beside (not from) the read model.
    await loadCdnowReference(service.infra.pool, purchases, (cdnowId) => customerOf.get(cdnowId) as string);
  }, 300_000);
  afterAll(async () => {
    await service?.close();
  });

  it('gives every customer the values, scores and segment of the definition (the whole list, exported as CSV)', async () => {
    const csv = await request(service.server).get(`/api/v1/analytics/rfm?asOf=${AS_OF}&sort=score`).set('accept', 'text/csv').set('x-min-position', position).expect(200);
    const served = parseRfmCsv(csv.text);
    const expected = await referenceRfm(service.infra.pool, AS_OF);
    expect(expected.size).toBe(23_570);
    expect(served.size).toBe(expected.size);
    expect(rfmDifferences(served, expected).slice(0, 5)).toEqual([]);
    // Scores spread over the whole range: a map that sent everyone to one score would not pass unseen.
    expect(new Set([...expected.values()].map((e) => e.recencyScore)).size).toBe(5);
  });

  it('sums the segment sizes to every customer, and their values to the cohort\'s revenue', async () => {
    const segments = await request(service.server).get(`/api/v1/analytics/segments?asOf=${AS_OF}`).set('x-min-position', position).expect(200);
    const { rows } = await service.infra.pool.query<{ total: string }>('select sum(dollars)::text as total from cdnow_reference');
    expect(segments.body.customers).toBe(23_570);
    const total = (segments.body.items as Array<{ monetary: string }>).reduce((sum, s) => sum + toUnits(s.monetary), 0n);
    expect(total).toBe(toUnits(rows[0].total));
  });

  it('values a customer: P(alive), expected purchases and spend, and historic value exactly', async () => {
    const [cdnowId, customerId] = [...customerOf][0];
    const response = await request(service.server).get(`/api/v1/analytics/customer-value/${customerId}?calibrationEnd=1997-09-30&margin=0.3&horizonWeeks=52`).set('x-min-position', position).expect(200);
    const mine = purchases.filter((p) => p.customer === cdnowId && p.date <= '1997-09-30');
    const net = mine.reduce((sum, p) => sum + toUnits(p.dollars.toFixed(2)), 0n);
    expect(response.body).toMatchObject({ customerId, calibrationEnd: '1997-09-30', currency: 'USD', horizonWeeks: 52, discountRate: 0.1, margin: '0.3' });
    expect(toUnits(response.body.historic.netRevenue)).toBe(net);
    expect(toUnits(response.body.historic.value) * 10n).toBe(net * 3n);
    expect(response.body.probabilityAlive).toBeGreaterThan(0);
    expect(response.body.probabilityAlive).toBeLessThanOrEqual(1);
    expect(response.body.expectedPurchases).toBeGreaterThan(0);
    expect(response.body.predictedValue).toBeGreaterThan(0);
    const longer = await request(service.server).get(`/api/v1/analytics/customer-value/${customerId}?calibrationEnd=1997-09-30&margin=0.3&horizonWeeks=104`).expect(200);
    expect(longer.body.predictedValue).toBeGreaterThan(response.body.predictedValue);
    expectProblem(await request(service.server).get(`/api/v1/analytics/customer-value/${randomUUID()}?calibrationEnd=1997-09-30`), 404);
    expectProblem(await request(service.server).get(`/api/v1/analytics/customer-value/${customerId}?margin=1.5`), 400);
    expectProblem(await request(service.server).get(`/api/v1/analytics/customer-value/not-a-uuid`), 400);
  });

  it('lists every customer\'s predicted value, sorted, paged, filtered by churn risk and exported as CSV', async () => {
    const base = '/api/v1/analytics/customer-value?calibrationEnd=1997-09-30&horizonWeeks=26';
    const top = await request(service.server).get(`${base}&limit=3`).set('x-min-position', position).expect(200);
    const values = (top.body.items as Array<{ predictedValue: number }>).map((v) => v.predictedValue);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    const next = await request(service.server).get(`${base}&limit=3&cursor=${top.body.nextCursor}`).expect(200);
    expect(next.body.items[0].predictedValue).toBeLessThanOrEqual(values[2]);
    const atRisk = await request(service.server).get(`${base}&maxProbabilityAlive=0.2&sort=probabilityAlive&limit=500`).expect(200);
    expect(atRisk.body.items.length).toBeGreaterThan(0);
    expect((atRisk.body.items as Array<{ probabilityAlive: number }>).every((v) => v.probabilityAlive <= 0.2)).toBe(true);
    const csv = await request(service.server).get(`${base}&margin=0.5`).set('accept', 'text/csv').expect(200);
    const [header, ...lines] = csv.text.trim().split('\r\n');
    expect(header).toBe('customer_id,repeat_purchases,probability_alive,expected_purchases,expected_spend,predicted_value,net_revenue,historic_value');
    expect(lines).toHaveLength(23_570);
    // Historic value is exact: net revenue to the calibration end, and half of it at margin 0.5.
    const net = lines.reduce((sum, line) => sum + toUnits(line.split(',')[6]), 0n);
    const { rows } = await service.infra.pool.query<{ total: string }>("select sum(dollars)::text as total from cdnow_reference where day <= date '1997-09-30'");
    expect(net).toBe(toUnits(rows[0].total));
    expect(lines.reduce((sum, line) => sum + toUnits(line.split(',')[7]), 0n) * 2n).toBe(net);
    expectProblem(await request(service.server).get('/api/v1/analytics/customer-value?calibrationEnd=1997-09-30&sort=name'), 400);
    expectProblem(await request(service.server).get('/api/v1/analytics/customer-value'), 400);
  });

  it('gives every customer the 12-month value, tenure, tier and churn band of the definition, the repeat rate and the cohort table', async () => {
    // Reference in TypeScript from the file: the 12 months up to 1998-06-30 start after 1997-06-30.
    const mine = new Map<string, { first: string; days: Set<string>; rolling: bigint }>();
    for (const p of purchases) {
      const id = customerOf.get(p.customer) as string;
      const c = mine.get(id) ?? { first: p.date, days: new Set<string>(), rolling: 0n };
      if (p.date < c.first) c.first = p.date;
      c.days.add(p.date);
      if (p.date > '1997-06-30') c.rolling += toUnits(p.dollars.toFixed(2));
      mine.set(id, c);
    }
    const dayCount = (from: string) => Math.round((Date.parse(AS_OF) - Date.parse(from)) / 86_400_000);
    const csv = await request(service.server).get(`/api/v1/analytics/loyalty?asOf=${AS_OF}`).set('accept', 'text/csv').set('x-min-position', position).expect(200);
    const [header, ...lines] = csv.text.trim().split('\r\n');
    expect(header).toBe('customer_id,tier,rolling_value,tenure_days,purchase_days,first_purchase_on,last_purchase_on,probability_alive,churn_risk,churn_band');
    expect(lines).toHaveLength(mine.size);
    const value = await request(service.server).get(`/api/v1/analytics/customer-value?calibrationEnd=${AS_OF}&sort=probabilityAlive`).set('accept', 'text/csv').expect(200);
    const alive = new Map(value.text.trim().split('\r\n').slice(1).map((l) => [l.split(',')[0], Number(l.split(',')[2])]));
    const wrong = lines.filter((line) => {
      const [id, tier, rolling, tenure, days, , , probabilityAlive, risk, band] = line.split(',');
      const c = mine.get(id);
      if (!c) return true;
      const p = alive.get(id) as number;
      return (
        toUnits(rolling) !== c.rolling ||
        Number(tenure) !== dayCount(c.first) ||
        Number(days) !== c.days.size ||
        tier !== tierOf(Number(rolling), dayCount(c.first), DEFAULT_LOYALTY_RULES) ||
        Math.abs(Number(probabilityAlive) - p) > 1e-12 ||
        Math.abs(Number(risk) - (1 - p)) > 1e-12 ||
        band !== churnBandOf(1 - p, DEFAULT_LOYALTY_RULES)
      );
    });
    expect(wrong.slice(0, 3)).toEqual([]);
    // Tiers and bands spread: a rule sending everyone to one would not pass unseen.
    expect(new Set(lines.map((l) => l.split(',')[1])).size).toBeGreaterThan(2);
    expect(new Set(lines.map((l) => l.split(',')[9])).size).toBeGreaterThan(2);

    const summary = (await request(service.server).get(`/api/v1/analytics/loyalty/summary?asOf=${AS_OF}`).expect(200)).body;
    const repeat = [...mine.values()].filter((c) => c.days.size >= 2).length;
    expect(summary).toMatchObject({ customers: mine.size, repeatCustomers: repeat, repeatPurchaseRate: Number((repeat / mine.size).toFixed(4)) });
    expect((summary.tiers as Array<{ customers: number }>).reduce((n, t) => n + t.customers, 0)).toBe(mine.size);

    // Cohort retention: per month of first purchase and month since, who bought in it.
    const expected = new Map<string, number>();
    const firstMonth = new Map([...mine].map(([id, c]) => [id, c.first.slice(0, 7)]));
    const active = new Set(purchases.map((p) => `${customerOf.get(p.customer)}|${p.date.slice(0, 7)}`));
    for (const key of active) {
      const [id, month] = key.split('|');
      const cohort = firstMonth.get(id) as string;
      const offset = (Number(month.slice(0, 4)) - Number(cohort.slice(0, 4))) * 12 + Number(month.slice(5)) - Number(cohort.slice(5));
      const k = `${cohort}+${offset}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    const table = await request(service.server).get(`/api/v1/analytics/cohort-retention?asOf=${AS_OF}`).set('accept', 'text/csv').expect(200);
    const served = new Map(table.text.trim().split('\r\n').slice(1).map((l) => { const [cohort, , offset, customers] = l.split(','); return [`${cohort}+${Number(offset)}`, Number(customers)]; }));
    expect(served).toEqual(expected);
    const page = (await request(service.server).get(`/api/v1/analytics/cohort-retention?asOf=${AS_OF}&fromCohort=1997-02&maxMonths=1&limit=1`).expect(200)).body;
    expect(page.items).toEqual([{ cohort: '1997-02', cohortSize: expect.any(Number), monthOffset: 0, customers: expect.any(Number), retention: '1.0000' }]);
    const next = (await request(service.server).get(`/api/v1/analytics/cohort-retention?asOf=${AS_OF}&fromCohort=1997-02&maxMonths=1&limit=1&cursor=${page.nextCursor}`).expect(200)).body;
    expect(next.items[0]).toMatchObject({ cohort: '1997-02', monthOffset: 1, customers: expected.get('1997-02+1') });
  });

  it('rebuilds the purchases read model from position 0 while reads go on, equal row by row to the live one', async () => {
    const digest = async () =>
      (
        await service.infra.pool.query<Record<string, string>>(
          `select (select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from proj_analytics_purchases.orders t) as orders,
                  (select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from proj_analytics_purchases.refunds t) as refunds,
                  (select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from proj_analytics_purchases.order_changes t) as order_changes`,
        )
      ).rows[0];
    const tableOid = async () => (await service.infra.pool.query<{ oid: string }>("select 'proj_analytics_purchases.orders'::regclass::oid::text as oid")).rows[0].oid;
    const live = await digest();
    const liveTable = await tableOid();
    const requestedAt = Date.now();
    expect(await requestProjectionRebuild(service.infra.pool, PURCHASES_PROJECTION)).toBe(true);
    const rebuilding = async () =>
      (await service.infra.pool.query<{ requested: boolean }>('select rebuild_requested_at is not null as requested from projections.state where name = $1', [PURCHASES_PROJECTION])).rows[0].requested;
    let reads = 0;
    while (await rebuilding()) {
      const segments = await request(service.server).get(`/api/v1/analytics/segments?asOf=${AS_OF}`).expect(200);
      expect(segments.body.customers).toBe(23_570);
      reads += 1;
      if (Date.now() - requestedAt > 300_000) throw new Error('the rebuild did not end in 300 s');
    }
    expect(reads).toBeGreaterThan(0);
    // A new copy was swapped in (another table), and it holds what the live one held.
    expect(await tableOid()).not.toBe(liveTable);
    expect(await digest()).toEqual(live);
  });
});
