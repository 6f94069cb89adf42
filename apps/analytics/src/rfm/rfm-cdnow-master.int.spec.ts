import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { formatPosition, parseCdnowLine, streamId, toUnits, type CdnowPurchase } from '@clientela/contracts';
import { requestProjectionRebuild } from '@clientela/projections';
import { bootTestService, expectProblem, type TestService } from '@clientela/service-kit/testing';
import { analyticsService } from '../analytics-service';
import { PURCHASES_PROJECTION } from '../purchases/purchases.projection';
import { segmentOf, type Score } from './rfm-segments';

// Done when (issue 11): the RFM values and scores of every customer of cdnow_master as of 1998-06-30
// equal a plain computation of the definition over the same orders. The orders are appended to the
// store as the contacts service's ingest appends them (one `order-` stream each, batches of 1,000 in one
// call), not ingested: the platform's cdnow run covers ingest. The reference is independent of the
// service's query: values by plain SQL over a table loaded from the file, percent ranks and scores in
// TypeScript.
const AS_OF = '1998-06-30';
const purchases: CdnowPurchase[] = readFileSync(join(__dirname, '..', '..', '..', '..', 'datasets', 'cdnow', 'cdnow_master.txt'), 'utf8')
  .split('\n')
  .flatMap((line) => parseCdnowLine(line) ?? []);

interface Expected {
  recencyDays: number;
  frequency: number;
  monetary: string;
  recencyScore: number;
  frequencyScore: number;
  monetaryScore: number;
  segment: string;
}

/** SQL's percent_rank: (rank - 1) / (n - 1), rank = 1 + the rows strictly before in the order (ties share the lowest). */
const percentRanks = <T>(rows: readonly T[], compare: (a: T, b: T) => number): Map<T, number> => {
  const sorted = [...rows].sort(compare);
  const ranks = new Map<T, number>();
  sorted.forEach((row, i) => {
    const rank = i > 0 && compare(sorted[i - 1], row) === 0 ? (ranks.get(sorted[i - 1]) as number) : i / (sorted.length - 1);
    ranks.set(row, rank);
  });
  return ranks;
};
const score = (rank: number): Score => Math.min(5, 1 + Math.floor(5 * rank)) as Score;

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
    await service.infra.pool.query('create table cdnow_reference (customer_id uuid, day date, dollars numeric)');
    await service.infra.pool.query('insert into cdnow_reference select * from unnest($1::uuid[], $2::date[], $3::numeric[])', [
      purchases.map((p) => customerOf.get(p.customer)),
      purchases.map((p) => p.date),
      purchases.map((p) => p.dollars.toFixed(2)),
    ]);
  }, 300_000);
  afterAll(async () => {
    await service?.close();
  });

  const reference = async (): Promise<Map<string, Expected>> => {
    const { rows } = await service.infra.pool.query<{ customer_id: string; recency_days: number; frequency: number; monetary: string }>(
      `select customer_id, (date '${AS_OF}' - max(day)) as recency_days, count(distinct day)::int as frequency, sum(dollars)::text as monetary
         from cdnow_reference where day <= date '${AS_OF}' group by customer_id`,
    );
    const r = percentRanks(rows, (a, b) => b.recency_days - a.recency_days);
    const f = percentRanks(rows, (a, b) => a.frequency - b.frequency);
    const m = percentRanks(rows, (a, b) => {
      const d = toUnits(a.monetary) - toUnits(b.monetary);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    });
    return new Map(
      rows.map((row) => {
        const [recencyScore, frequencyScore, monetaryScore] = [score(r.get(row) as number), score(f.get(row) as number), score(m.get(row) as number)];
        return [row.customer_id, { recencyDays: row.recency_days, frequency: row.frequency, monetary: row.monetary, recencyScore, frequencyScore, monetaryScore, segment: segmentOf(recencyScore, frequencyScore) }];
      }),
    );
  };

  it('gives every customer the values, scores and segment of the definition (the whole list, exported as CSV)', async () => {
    const csv = await request(service.server).get(`/api/v1/analytics/rfm?asOf=${AS_OF}&sort=score`).set('accept', 'text/csv').set('x-min-position', position).expect(200);
    const [header, ...lines] = csv.text.trim().split('\r\n');
    expect(header).toBe('customer_id,recency_days,frequency,monetary,recency_score,frequency_score,monetary_score,segment,first_purchase_on,last_purchase_on');
    const served = new Map(
      lines.map((line) => {
        const [customerId, recencyDays, frequency, monetary, recencyScore, frequencyScore, monetaryScore, segment] = line.split(',');
        return [customerId, { recencyDays: Number(recencyDays), frequency: Number(frequency), monetary, recencyScore: Number(recencyScore), frequencyScore: Number(frequencyScore), monetaryScore: Number(monetaryScore), segment }];
      }),
    );
    const expected = await reference();
    expect(expected.size).toBe(23_570);
    expect(served.size).toBe(expected.size);
    const differing = [...expected].filter(([id, row]) => JSON.stringify(served.get(id)) !== JSON.stringify(row));
    expect(differing.slice(0, 5).map(([id, row]) => ({ id, expected: row, served: served.get(id) }))).toEqual([]);
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
