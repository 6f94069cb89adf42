import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { NotFoundError } from '@clientela/contracts';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { LeadCostRow, LeadRow } from './lead.entities';
import type { CostGroup, ListLeadsQuery } from './leads.dto';
import { NONE } from './leads.projection';

export interface LeadView {
  id: string;
  source: string;
  campaignId: string | null;
  acquisitionCost: { amount: string; currency: string } | null;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  phone: string | null;
  companyName: string | null;
  status: string;
  score: number | null;
  /** Why it was last (dis)qualified, when a reason was given. */
  statusReason: string | null;
  /** Set once converted. */
  contactId: string | null;
  accountId: string | null;
  capturedAt: string;
  convertedAt: string | null;
  updatedAt: string;
  revision: number;
}

/** What leads cost in one group and currency; a group's leads captured without a cost have currency null. */
export interface CostPerLeadView {
  /** The source, or the campaign id (null: leads of no campaign), as grouped. */
  source?: string;
  campaignId?: string | null;
  currency: string | null;
  leads: number;
  /** Decimal strings, exact; null for leads without a cost. */
  cost: string | null;
  costPerLead: string | null;
}

const SORTS: Record<string, SortKey> = {
  capturedAt: { expression: 'l.captured_at' },
  updatedAt: { expression: 'l.updated_at' },
  // -1 sorts unscored leads first ascending, last descending.
  score: { expression: 'coalesce(l.score, -1)' },
};

const CSV_PAGE = 1_000;
const CSV_HEADER = [
  'id', 'source', 'campaign_id', 'cost_amount', 'cost_currency', 'given_name', 'family_name', 'email', 'phone', 'company_name',
  'status', 'score', 'status_reason', 'contact_id', 'account_id', 'captured_at', 'converted_at', 'updated_at',
];

const viewOf = (r: LeadRow): LeadView => ({
  id: r.id,
  source: r.source,
  campaignId: r.campaignId,
  acquisitionCost: r.costAmount !== null && r.costCurrency !== null ? { amount: r.costAmount, currency: r.costCurrency } : null,
  givenName: r.givenName,
  familyName: r.familyName,
  email: r.email,
  phone: r.phone,
  companyName: r.companyName,
  status: r.status,
  score: r.score,
  statusReason: r.statusReason,
  contactId: r.contactId,
  accountId: r.accountId,
  capturedAt: r.capturedAt.toISOString(),
  convertedAt: r.convertedAt?.toISOString() ?? null,
  updatedAt: r.updatedAt.toISOString(),
  revision: r.revision,
});

@Injectable()
export class LeadsQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(id: string): Promise<LeadView> {
    const row = await this.db.getRepository(LeadRow).findOneBy({ id });
    if (!row) throw new NotFoundError(`lead ${id} not found`);
    return viewOf(row);
  }

  async list(query: ListLeadsQuery): Promise<Page<LeadView>> {
    const page = await this.page(query, query.cursor, query.limit);
    return { items: page.items.map(viewOf), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** The whole filtered list as CSV, read a page at a time. */
  csv(query: ListLeadsQuery): Readable {
    return csvStream(
      CSV_HEADER,
      (cursor) => this.page(query, cursor, CSV_PAGE),
      (r) => [
        r.id, r.source, r.campaignId, r.costAmount, r.costCurrency, r.givenName, r.familyName, r.email, r.phone, r.companyName,
        r.status, r.score, r.statusReason, r.contactId, r.accountId, r.capturedAt, r.convertedAt, r.updatedAt,
      ],
    );
  }

  /** Cost per lead by source or by campaign, per currency (amounts in different currencies are never added). */
  async costPerLead(groupBy: CostGroup): Promise<{ groupBy: CostGroup; items: CostPerLeadView[] }> {
    const column = groupBy === 'source' ? 'k.source' : 'k.campaign';
    const rows = await this.db
      .getRepository(LeadCostRow)
      .createQueryBuilder('k')
      .select(column, 'group')
      .addSelect('k.currency', 'currency')
      .addSelect('sum(k.leads)::text', 'leads')
      .addSelect('sum(k.cost)::text', 'cost')
      .addSelect('trim_scale(round(sum(k.cost) / sum(k.leads), 4))::text', 'costPerLead')
      .groupBy(column)
      .addGroupBy('k.currency')
      .getRawMany<{ group: string; currency: string; leads: string; cost: string; costPerLead: string }>();
    // Groups in order, each with its currencies in order; no campaign and no cost last. A few rows: sorted here.
    const order = (a: string, b: string) => (a === NONE ? 1 : 0) - (b === NONE ? 1 : 0) || (a < b ? -1 : a > b ? 1 : 0);
    rows.sort((a, b) => order(a.group, b.group) || order(a.currency, b.currency));
    return {
      groupBy,
      items: rows.map((r) => {
        const priced = r.currency !== NONE;
        return {
          ...(groupBy === 'source' ? { source: r.group } : { campaignId: r.group === NONE ? null : r.group }),
          currency: priced ? r.currency : null,
          leads: Number(r.leads),
          cost: priced ? r.cost : null,
          costPerLead: priced ? r.costPerLead : null,
        };
      }),
    };
  }

  private page(query: ListLeadsQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<LeadRow>> {
    return keysetPage(this.filtered(query), { sort: query.sort ?? 'capturedAt', sorts: SORTS, idExpression: 'l.id', cursor, limit });
  }

  private filtered(query: ListLeadsQuery): SelectQueryBuilder<LeadRow> {
    const q = this.db.getRepository(LeadRow).createQueryBuilder('l');
    if (query.source) q.andWhere('l.source = :source', { source: query.source.toLowerCase() });
    if (query.status) q.andWhere('l.status = :status', { status: query.status });
    if (query.campaignId) q.andWhere('l.campaign_id = :campaignId', { campaignId: query.campaignId });
    if (query.capturedFrom) q.andWhere('l.captured_at >= :capturedFrom', { capturedFrom: query.capturedFrom });
    if (query.capturedTo) q.andWhere('l.captured_at < :capturedTo', { capturedTo: query.capturedTo });
    return q;
  }
}
