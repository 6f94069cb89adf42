import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { NotFoundError, type DealLine } from '@clientela/contracts';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { likePrefix } from '../lists/like-prefix';
import { DealRow, DealStageHistoryRow } from './deal.entities';
import type { ListDealsQuery } from './deals.dto';

export interface DealView {
  id: string;
  name: string;
  customerId: string;
  pipelineId: string;
  stageId: string;
  probability: number;
  /** Exact decimal strings, as stored. */
  amount: string;
  currency: string;
  expectedCloseDate: string | null;
  ownerId: string | null;
  accountId: string | null;
  lines: DealLine[];
  leadId: string | null;
  source: string | null;
  status: 'open' | 'won' | 'lost';
  openedAt: string;
  stageEnteredAt: string;
  closedAt: string | null;
  closeReason: string | null;
  orderId: string | null;
  updatedAt: string;
  revision: number;
}

export interface DealDetailView extends DealView {
  /** The stages it left, oldest first, with how long it stood in each. */
  stageHistory: { stageId: string; secondsInStage: number; leftAt: string; outcome: string }[];
}

const SORTS: Record<string, SortKey> = {
  name: { expression: 'd.name_key' },
  openedAt: { expression: 'd.opened_at' },
  amount: { expression: 'd.amount' },
  // Deals without a date sort after every dated one.
  expectedCloseDate: { expression: "coalesce(d.expected_close_date, 'infinity'::date)" },
  updatedAt: { expression: 'd.updated_at' },
};
const CSV_PAGE = 1_000;
const CSV_HEADER = [
  'id', 'name', 'customer_id', 'pipeline_id', 'stage_id', 'probability', 'amount', 'currency', 'expected_close_date', 'owner_id', 'account_id',
  'line_count', 'lead_id', 'source', 'status', 'opened_at', 'stage_entered_at', 'closed_at', 'close_reason', 'order_id', 'updated_at',
];

const viewOf = (r: DealRow): DealView => ({
  id: r.id,
  name: r.name,
  customerId: r.customerId,
  pipelineId: r.pipelineId,
  stageId: r.stageId,
  probability: r.probability,
  amount: r.amount,
  currency: r.currency,
  expectedCloseDate: r.expectedCloseDate,
  ownerId: r.ownerId,
  accountId: r.accountId,
  lines: r.lines,
  leadId: r.leadId,
  source: r.source,
  status: r.status,
  openedAt: r.openedAt.toISOString(),
  stageEnteredAt: r.stageEnteredAt.toISOString(),
  closedAt: r.closedAt?.toISOString() ?? null,
  closeReason: r.closeReason,
  orderId: r.orderId,
  updatedAt: r.updatedAt.toISOString(),
  revision: r.revision,
});

@Injectable()
export class DealsQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(id: string): Promise<DealDetailView> {
    const row = await this.db.getRepository(DealRow).findOneBy({ id });
    if (!row) throw new NotFoundError(`deal ${id} not found`);
    const history = await this.db.getRepository(DealStageHistoryRow).find({ where: { dealId: id }, order: { revision: 'ASC' } });
    return {
      ...viewOf(row),
      stageHistory: history.map((h) => ({ stageId: h.stageId, secondsInStage: h.secondsInStage, leftAt: h.leftAt.toISOString(), outcome: h.outcome })),
    };
  }

  async list(query: ListDealsQuery): Promise<Page<DealView>> {
    const page = await this.page(query, query.cursor, query.limit);
    return { items: page.items.map(viewOf), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  csv(query: ListDealsQuery): Readable {
    return csvStream(
      CSV_HEADER,
      async (cursor) => {
        const page = await this.page(query, cursor, CSV_PAGE);
        return { items: page.items.map(viewOf), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (d) => [
        d.id, d.name, d.customerId, d.pipelineId, d.stageId, d.probability, d.amount, d.currency, d.expectedCloseDate, d.ownerId, d.accountId,
        d.lines.length, d.leadId, d.source, d.status, d.openedAt, d.stageEnteredAt, d.closedAt, d.closeReason, d.orderId, d.updatedAt,
      ],
    );
  }

  private page(query: ListDealsQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<DealRow>> {
    return keysetPage(this.filtered(query), { sort: query.sort ?? '-openedAt', sorts: SORTS, idExpression: 'd.id', cursor, limit });
  }

  private filtered(query: ListDealsQuery): SelectQueryBuilder<DealRow> {
    const q = this.db.getRepository(DealRow).createQueryBuilder('d');
    if (query.name) q.andWhere("d.name_key like :name escape '\\'", { name: likePrefix(query.name.toLowerCase()) });
    if (query.status) q.andWhere('d.status = :status', { status: query.status });
    if (query.pipeline) q.andWhere('d.pipeline_id = :pipeline', { pipeline: query.pipeline });
    if (query.stage) q.andWhere('d.stage_id = :stage', { stage: query.stage });
    if (query.owner) q.andWhere('d.owner_id = :owner', { owner: query.owner });
    if (query.customer) q.andWhere('d.customer_id = :customer', { customer: query.customer });
    if (query.account) q.andWhere('d.account_id = :account', { account: query.account });
    if (query.currency) q.andWhere('d.currency = :currency', { currency: query.currency });
    if (query.closeFrom) q.andWhere('d.expected_close_date >= :closeFrom', { closeFrom: query.closeFrom });
    if (query.closeTo) q.andWhere('d.expected_close_date <= :closeTo', { closeTo: query.closeTo });
    return q;
  }
}
