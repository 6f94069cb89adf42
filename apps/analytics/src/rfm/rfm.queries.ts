import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { ValidationError } from '@clientela/contracts';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { DEFAULT_CURRENCY, type ListMovementsQuery, type ListRfmQuery, type MovementSummaryQuery } from './rfm.dto';
import { MovementRow, RfmRow } from './rfm.entities';
import { RFM_SEGMENTS } from './rfm-segments';
import { rfmSql } from './rfm.sql';
import { countsAsSql } from '../merges/merges.sql';

export interface RfmView {
  customerId: string;
  recencyDays: number;
  frequency: number;
  /** Exact decimal string: net revenue as of the date. */
  monetary: string;
  firstPurchaseOn: string;
  lastPurchaseOn: string;
  recencyScore: number;
  frequencyScore: number;
  monetaryScore: number;
  segment: string;
}

export interface SegmentSize {
  segment: string;
  customers: number;
  /** Share of the customers, 4 decimals. */
  share: string;
  /** Exact sums and averages (numeric), computed by PostgreSQL. */
  monetary: string;
  averageMonetary: string | null;
  averageFrequency: string | null;
  averageRecencyDays: string | null;
}

export interface MovementView {
  customerId: string;
  /** null: no purchase yet on `from`. */
  fromSegment: string | null;
  toSegment: string;
  monetary: string;
}

const RFM_SORTS: Record<string, SortKey> = {
  monetary: { expression: 'r.monetary' },
  frequency: { expression: 'r.frequency' },
  recencyDays: { expression: 'r.recency_days' },
  score: { expression: '(r.recency_score * 100 + r.frequency_score * 10 + r.monetary_score)' },
  lastPurchaseOn: { expression: 'r.last_purchase_on' },
};
const MOVEMENT_SORTS: Record<string, SortKey> = {
  customerId: { expression: 'm.customer_id' },
  monetary: { expression: 'm.monetary' },
};
// Each page computes RFM over every order again (it is as of a date, not stored), so exports take large pages.
const CSV_PAGE = 10_000;

/** Today, UTC: the default `asOf`. */
export const todayUtc = (now: Date): string => now.toISOString().slice(0, 10);

const rfmView = (r: RfmRow): RfmView => ({
  customerId: r.customerId,
  recencyDays: r.recencyDays,
  frequency: r.frequency,
  monetary: r.monetary,
  firstPurchaseOn: r.firstPurchaseOn,
  lastPurchaseOn: r.lastPurchaseOn,
  recencyScore: r.recencyScore,
  frequencyScore: r.frequencyScore,
  monetaryScore: r.monetaryScore,
  segment: r.segment,
});

const movementView = (m: MovementRow): MovementView => ({ customerId: m.customerId, fromSegment: m.fromSegment, toSegment: m.toSegment, monetary: m.monetary });

@Injectable()
export class RfmQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(query: ListRfmQuery, asOf: string): Promise<Page<RfmView>> {
    const page = await this.rfmPage(query, asOf, query.cursor, query.limit);
    return { items: page.items.map(rfmView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** The RFM export: the customer id, the values and the three scores (and the segment). */
  csv(query: ListRfmQuery, asOf: string): Readable {
    return csvStream(
      ['customer_id', 'recency_days', 'frequency', 'monetary', 'recency_score', 'frequency_score', 'monetary_score', 'segment', 'first_purchase_on', 'last_purchase_on'],
      async (cursor) => {
        const page = await this.rfmPage(query, asOf, cursor, CSV_PAGE);
        return { items: page.items.map(rfmView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (r) => [r.customerId, r.recencyDays, r.frequency, r.monetary, r.recencyScore, r.frequencyScore, r.monetaryScore, r.segment, r.firstPurchaseOn, r.lastPurchaseOn],
    );
  }

  /** Every segment (empty ones too, in the map's order) with its size and values as of the date. */
  async segments(asOf: string, currency: string | undefined): Promise<{ asOf: string; currency: string; customers: number; items: SegmentSize[] }> {
    const cur = currency ?? DEFAULT_CURRENCY;
    const rows = await this.db
      .createQueryBuilder()
      .addCommonTableExpression(rfmSql('asOf', 'currency'), 'rfm')
      .select('r.segment', 'segment')
      .addSelect('count(*)::int', 'customers')
      .addSelect('round(count(*)::numeric / sum(count(*)) over (), 4)::text', 'share')
      .addSelect('sum(r.monetary)::text', 'monetary')
      .addSelect('trim_scale(round(avg(r.monetary), 4))::text', 'averageMonetary')
      .addSelect('trim_scale(round(avg(r.frequency), 4))::text', 'averageFrequency')
      .addSelect('trim_scale(round(avg(r.recency_days), 4))::text', 'averageRecencyDays')
      .from('rfm', 'r')
      .groupBy('r.segment')
      .setParameters({ asOf, currency: cur })
      .getRawMany<SegmentSize>();
    const bySegment = new Map(rows.map((row) => [row.segment, row]));
    const items = RFM_SEGMENTS.map(
      (segment): SegmentSize =>
        bySegment.get(segment) ?? { segment, customers: 0, share: '0', monetary: '0', averageMonetary: null, averageFrequency: null, averageRecencyDays: null },
    );
    return { asOf, currency: cur, customers: items.reduce((n, s) => n + s.customers, 0), items };
  }

  /** How many customers went from which segment to which between two dates (`fromSegment` null: new). */
  async movementSummary(query: MovementSummaryQuery): Promise<{ from: string; to: string; currency: string; items: Array<{ fromSegment: string | null; toSegment: string; customers: number }> }> {
    const currency = query.currency ?? DEFAULT_CURRENCY;
    const items = await this.movements(query.from, query.to, currency)
      .select('m.from_segment', 'fromSegment')
      .addSelect('m.to_segment', 'toSegment')
      .addSelect('count(*)::int', 'customers')
      .groupBy('m.from_segment')
      .addGroupBy('m.to_segment')
      .orderBy('m.from_segment', 'ASC', 'NULLS FIRST')
      .addOrderBy('m.to_segment', 'ASC')
      .getRawMany<{ fromSegment: string | null; toSegment: string; customers: number }>();
    return { from: query.from, to: query.to, currency, items };
  }

  async movementList(query: ListMovementsQuery): Promise<Page<MovementView>> {
    const page = await this.movementPage(query, query.cursor, query.limit);
    return { items: page.items.map(movementView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  movementCsv(query: ListMovementsQuery): Readable {
    return csvStream(
      ['customer_id', 'from_segment', 'to_segment', 'monetary'],
      async (cursor) => {
        const page = await this.movementPage(query, cursor, CSV_PAGE);
        return { items: page.items.map(movementView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (m) => [m.customerId, m.fromSegment, m.toSegment, m.monetary],
    );
  }

  private rfmPage(query: ListRfmQuery, asOf: string, cursor: string | undefined, limit: number | undefined): Promise<Page<RfmRow>> {
    const q = this.db
      .getRepository(RfmRow)
      .createQueryBuilder('r')
      .addCommonTableExpression(rfmSql('asOf', 'currency'), 'rfm')
      .setParameters({ asOf, currency: query.currency ?? DEFAULT_CURRENCY });
    if (query.segment) q.andWhere('r.segment = :segment', { segment: query.segment });
    // A merged duplicate's id finds the survivor's row: its purchases are the survivor's.
    if (query.customer) q.andWhere(`r.customer_id = ${countsAsSql('cast(:customer as uuid)')}`, { customer: query.customer });
    return keysetPage(q, { sort: query.sort ?? '-monetary', sorts: RFM_SORTS, idExpression: 'r.customer_id', cursor, limit });
  }

  private movements(from: string, to: string, currency: string): SelectQueryBuilder<MovementRow> {
    if (from >= to) throw new ValidationError('from must be before to', [{ path: 'from', constraints: { before: 'from must be a day before to' } }]);
    // Customers only ever join RFM as time passes (a purchase stays a purchase), so `to` holds every
    // customer of `from` unless a won deal was reopened in between: that customer drops out, not in.
    const movement = `
      select b.customer_id, a.segment as from_segment, b.segment as to_segment, b.monetary
        from (${rfmSql('to', 'currency')}) b left join (${rfmSql('from', 'currency')}) a using (customer_id)`;
    return this.db.getRepository(MovementRow).createQueryBuilder('m').addCommonTableExpression(movement, 'rfm_movement').setParameters({ from, to, currency });
  }

  private movementPage(query: ListMovementsQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<MovementRow>> {
    const q = this.movements(query.from, query.to, query.currency ?? DEFAULT_CURRENCY);
    if (query.fromSegment === 'none') q.andWhere('m.from_segment is null');
    else if (query.fromSegment) q.andWhere('m.from_segment = :fromSegment', { fromSegment: query.fromSegment });
    if (query.toSegment) q.andWhere('m.to_segment = :toSegment', { toSegment: query.toSegment });
    if (query.changed === 'true') q.andWhere('m.from_segment is distinct from m.to_segment');
    if (query.changed === 'false') q.andWhere('m.from_segment = m.to_segment');
    return keysetPage(q, { sort: query.sort ?? 'customerId', sorts: MOVEMENT_SORTS, idExpression: 'm.customer_id', cursor, limit });
  }
}
