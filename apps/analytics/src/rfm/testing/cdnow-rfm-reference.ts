import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { parseCdnowLine, toUnits, type CdnowPurchase } from '@clientela/contracts';
import { segmentOf, type Score } from '../rfm-segments';

/**
 * The RFM of the definition (issue 11), computed independently of the analytics service's query:
 * values by plain SQL over a table loaded from the CDNOW file, percent ranks and scores in TypeScript.
 * For the analytics spec and for any run that ingests cdnow_master another way (the platform's cdnow
 * run): load the reference with the customer ids that run gave the CDNOW ids, then compare
 * `GET /api/v1/analytics/rfm?asOf=…` (CSV) with `rfmDifferences`.
 */
export interface RfmRowValues {
  recencyDays: number;
  frequency: number;
  monetary: string;
  recencyScore: number;
  frequencyScore: number;
  monetaryScore: number;
  segment: string;
}

export const RFM_CSV_HEADER = 'customer_id,recency_days,frequency,monetary,recency_score,frequency_score,monetary_score,segment,first_purchase_on,last_purchase_on';

export const cdnowMasterPurchases = (): CdnowPurchase[] =>
  readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'datasets', 'cdnow', 'cdnow_master.txt'), 'utf8')
    .split('\n')
    .flatMap((line) => parseCdnowLine(line) ?? []);

/** Creates `table` (customer_id, day, dollars) and loads the purchases, each under the customer id `customerIdOf` gives its CDNOW id. */
export const loadCdnowReference = async (pool: Pool, purchases: readonly CdnowPurchase[], customerIdOf: (cdnowId: string) => string, table = 'cdnow_reference'): Promise<void> => {
  await pool.query(`create table ${table} (customer_id uuid, day date, dollars numeric)`);
  await pool.query(`insert into ${table} select * from unnest($1::uuid[], $2::date[], $3::numeric[])`, [
    purchases.map((p) => customerIdOf(p.customer)),
    purchases.map((p) => p.date),
    purchases.map((p) => p.dollars.toFixed(2)),
  ]);
};

/** SQL's percent_rank: (rank - 1) / (n - 1), rank = 1 + the rows strictly before in the order (ties share the lowest). */
const percentRanks = <T>(rows: readonly T[], compare: (a: T, b: T) => number): Map<T, number> => {
  const sorted = [...rows].sort(compare);
  const ranks = new Map<T, number>();
  sorted.forEach((row, i) => ranks.set(row, i > 0 && compare(sorted[i - 1], row) === 0 ? (ranks.get(sorted[i - 1]) as number) : i / (sorted.length - 1)));
  return ranks;
};
const score = (rank: number): Score => Math.min(5, 1 + Math.floor(5 * rank)) as Score;

/** Every customer's RFM as of the day, from the reference table. */
export const referenceRfm = async (pool: Pool, asOf: string, table = 'cdnow_reference'): Promise<Map<string, RfmRowValues>> => {
  const { rows } = await pool.query<{ customer_id: string; recency_days: number; frequency: number; monetary: string }>(
    `select customer_id, ($1::date - max(day)) as recency_days, count(distinct day)::int as frequency, sum(dollars)::text as monetary
       from ${table} where day <= $1::date group by customer_id`,
    [asOf],
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

/** The rows of the RFM CSV export, by customer. */
export const parseRfmCsv = (csv: string): Map<string, RfmRowValues> => {
  const [header, ...lines] = csv.trim().split('\r\n');
  if (header !== RFM_CSV_HEADER) throw new Error(`not the RFM export: ${header}`);
  return new Map(
    lines.map((line) => {
      const [customerId, recencyDays, frequency, monetary, recencyScore, frequencyScore, monetaryScore, segment] = line.split(',');
      return [customerId, { recencyDays: Number(recencyDays), frequency: Number(frequency), monetary, recencyScore: Number(recencyScore), frequencyScore: Number(frequencyScore), monetaryScore: Number(monetaryScore), segment }];
    }),
  );
};

/** Customers whose served row differs from the reference (or is missing on either side). */
export const rfmDifferences = (served: Map<string, RfmRowValues>, expected: Map<string, RfmRowValues>): Array<{ customerId: string; expected?: RfmRowValues; served?: RfmRowValues }> =>
  [...new Set([...expected.keys(), ...served.keys()])]
    .filter((id) => JSON.stringify(served.get(id)) !== JSON.stringify(expected.get(id)))
    .map((customerId) => ({ customerId, expected: expected.get(customerId), served: served.get(customerId) }));
