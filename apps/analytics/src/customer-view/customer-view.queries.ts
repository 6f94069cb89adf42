import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { NotFoundError } from '@clientela/contracts';
import { csvStream, keysetPage, PG_POOL, type Page, type SortKey } from '@clientela/service-kit';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { customerViewSql, idsSql, PENDING_SECTIONS, targetSql, timelineSql } from './customer-view.sections';
import { TimelineRow } from './customer-view.entities';
import type { TimelineQuery } from './customer-view.dto';

export interface OrderSummary {
  currency: string;
  orderCount: number;
  firstPurchaseAt: string;
  lastPurchaseAt: string;
  gross: string;
  refunded: string;
  netRevenue: string;
}

export interface TimelineEvent {
  eventId: string;
  type: string;
  channel: string;
  occurredAt: string;
  position: string;
  data: Record<string, unknown>;
}

/** The statement's row: one column per section of CUSTOMER_VIEW_SECTIONS, JSON parsed by pg. */
interface ViewRow {
  customerId: string;
  mergedContacts: string[];
  profile: ({ lifecycleStage: string | null; ownerId: string | null } & Record<string, unknown>) | null;
  identities: unknown[];
  consents: unknown[];
  orders: OrderSummary[];
  openDeals: unknown[];
  dealCounts: { open: number; won: number; lost: number };
  leads: unknown[];
  lastInteractions: Record<string, string>;
  scores: { segment: unknown; loyalty: unknown };
}

const TIMELINE_SORTS: Record<string, SortKey> = { occurredAt: { expression: 't.occurred_at' } };
const CSV_PAGE = 1_000;

const timelineEvent = (t: TimelineRow): TimelineEvent => ({ eventId: t.eventId, type: t.type, channel: t.channel, occurredAt: t.occurredAt.toISOString(), position: t.position, data: t.data });

/** Whether any section knows the customer: else the id names nobody the platform has seen. */
const isEmptyView = (row: ViewRow): boolean =>
  row.profile === null &&
  row.orders.length === 0 &&
  row.leads.length === 0 &&
  Object.keys(row.lastInteractions).length === 0 &&
  row.dealCounts.open + row.dealCounts.won + row.dealCounts.lost === 0 &&
  row.scores.segment === null &&
  row.scores.loyalty === null;

@Injectable()
export class CustomerViewQueries {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /**
   * The single customer view: one statement (a prepared one, planned once per connection) of key
   * lookups in the read models, over the survivor the id counts as and the contacts merged into it.
   */
  async view(id: string, currency = DEFAULT_CURRENCY) {
    const { rows } = await this.pool.query<ViewRow>({ name: 'analytics-customer-view', text: customerViewSql, values: [id, currency] });
    const row = rows[0];
    if (!row || isEmptyView(row)) throw new NotFoundError(`customer ${id} is not known to analytics`);
    const { profile, orders, scores } = row;
    return {
      customerId: row.customerId,
      ...(row.customerId !== id ? { requestedId: id } : {}),
      mergedContacts: row.mergedContacts,
      profile,
      lifecycleStage: profile?.lifecycleStage ?? null,
      ownerId: profile?.ownerId ?? null,
      identities: row.identities,
      consents: row.consents,
      orders,
      openDeals: row.openDeals,
      dealCounts: row.dealCounts,
      leads: row.leads,
      lastInteractions: row.lastInteractions,
      scores: {
        currency,
        ...scores,
        // Historic CLV: net revenue to date (margin 1; /analytics/customer-value/:id for another margin and the predicted value).
        historicValue: orders.find((o) => o.currency === currency)?.netRevenue ?? '0',
      },
      ...PENDING_SECTIONS,
    };
  }

  async timeline(id: string, query: TimelineQuery): Promise<Page<TimelineEvent>> {
    const page = await this.timelinePage(id, query, query.cursor, query.limit);
    return { items: page.items.map(timelineEvent), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  timelineCsv(id: string, query: TimelineQuery): Readable {
    return csvStream(
      ['event_id', 'occurred_at', 'type', 'channel', 'position', 'data'],
      async (cursor) => {
        const page = await this.timelinePage(id, query, cursor, CSV_PAGE);
        return { items: page.items.map(timelineEvent), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (e) => [e.eventId, e.occurredAt, e.type, e.channel, e.position, e.data],
    );
  }

  private timelinePage(id: string, query: TimelineQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<TimelineRow>> {
    const q = this.db
      .getRepository(TimelineRow)
      .createQueryBuilder('t')
      // The merge mapping, then the union of every context's events of those contacts.
      .addCommonTableExpression(targetSql(':customer'), 'target')
      .addCommonTableExpression(idsSql, 'ids')
      .addCommonTableExpression(timelineSql, 'customer_timeline')
      .setParameters({ customer: id });
    if (query.type?.length) q.andWhere('t.type in (:...types)', { types: query.type });
    if (query.channel?.length) q.andWhere('t.channel in (:...channels)', { channels: query.channel });
    if (query.from) q.andWhere('t.occurred_at >= :from', { from: query.from });
    if (query.to) q.andWhere('t.occurred_at < :to', { to: query.to });
    return keysetPage(q, { sort: query.sort ?? 'occurredAt', sorts: TIMELINE_SORTS, idExpression: 't.position', cursor, limit });
  }
}
