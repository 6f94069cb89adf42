import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { ValidationError } from '@clientela/contracts';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { todayUtc } from '../rfm/rfm.queries';
import type { AcquisitionQuery, FunnelQuery } from './funnel.dto';
import { AcquisitionRow, FunnelRow } from './funnel.entities';
import { acquisitionSql, FUNNEL_STAGES, funnelSql } from './funnel.sql';

const FUNNEL_SORTS: Record<string, SortKey> = { period: { expression: 'f.id' } };
const ACQUISITION_SORTS: Record<string, SortKey> = {
  key: { expression: 'a.key' },
  leads: { expression: 'a.leads' },
  cost: { expression: 'a.cost' },
  revenue: { expression: 'a.revenue' },
  roi: { expression: "coalesce(a.roi, '-Infinity'::numeric)" },
  conversion: { expression: 'a.conversion' },
};
const CSV_PAGE = 1_000;

export interface FunnelView {
  period: string;
  source: string;
  contacts: number;
  /** Per stage in order: how many reached it or a later one, and that share of the stage before (of the contacts for the first). */
  stages: Array<{ stage: string; reached: number; conversion: string | null }>;
  churned: number;
}

const share = (n: number, of: number): string | null => (of === 0 ? null : (n / of).toFixed(4));

const funnelView = (f: FunnelRow): FunnelView => ({
  period: f.period,
  source: f.source,
  contacts: f.contacts,
  stages: FUNNEL_STAGES.map((stage, i) => ({ stage, reached: f.reached[i], conversion: share(f.reached[i], i === 0 ? f.contacts : f.reached[i - 1]) })),
  churned: f.churned,
});

const acquisitionView = (a: AcquisitionRow) => ({
  key: a.key,
  leads: a.leads,
  qualified: a.qualified,
  converted: a.converted,
  customers: a.customers,
  cost: a.cost,
  costPerLead: a.costPerLead,
  leadToCustomer: a.conversion,
  revenue: a.revenue,
  roi: a.roi,
});

const checkRange = (from: string, to: string) => {
  if (from >= to) throw new ValidationError('from must be before to', [{ path: 'from', constraints: { before: 'from must be a day before to' } }]);
};

/** The lifecycle funnel and the acquisition report, computed per request from the customer projections (and purchases for revenue). */
@Injectable()
export class FunnelQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async funnel(query: FunnelQuery): Promise<Page<FunnelView>> {
    const page = await this.funnelPage(query, query.cursor, query.limit);
    return { items: page.items.map(funnelView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  funnelCsv(query: FunnelQuery): Readable {
    return csvStream(
      ['period', 'source', 'contacts', ...FUNNEL_STAGES, 'churned'],
      async (cursor) => {
        const page = await this.funnelPage(query, cursor, CSV_PAGE);
        return { items: page.items.map(funnelView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (f) => [f.period, f.source, f.contacts, ...f.stages.map((s) => s.reached), f.churned],
    );
  }

  async acquisition(query: AcquisitionQuery): Promise<Page<ReturnType<typeof acquisitionView>>> {
    const page = await this.acquisitionPage(query, query.cursor, query.limit);
    return { items: page.items.map(acquisitionView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  acquisitionCsv(query: AcquisitionQuery): Readable {
    return csvStream(
      [query.by ?? 'source', 'leads', 'qualified', 'converted', 'customers', 'cost', 'cost_per_lead', 'lead_to_customer', 'revenue', 'roi'],
      async (cursor) => {
        const page = await this.acquisitionPage(query, cursor, CSV_PAGE);
        return { items: page.items.map(acquisitionView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (a) => [a.key, a.leads, a.qualified, a.converted, a.customers, a.cost, a.costPerLead, a.leadToCustomer, a.revenue, a.roi],
    );
  }

  private funnelPage(query: FunnelQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<FunnelRow>> {
    checkRange(query.from, query.to);
    const q = this.db
      .getRepository(FunnelRow)
      .createQueryBuilder('f')
      .addCommonTableExpression(funnelSql, 'funnel')
      .setParameters({ from: query.from, to: query.to, period: query.period ?? 'month', stages: FUNNEL_STAGES });
    if (query.source) q.andWhere('f.source = :source', { source: query.source });
    return keysetPage(q, { sort: 'period', sorts: FUNNEL_SORTS, idExpression: 'f.id', cursor, limit });
  }

  private acquisitionPage(query: AcquisitionQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<AcquisitionRow>> {
    checkRange(query.from, query.to);
    const q = this.db
      .getRepository(AcquisitionRow)
      .createQueryBuilder('a')
      .addCommonTableExpression(acquisitionSql(query.by ?? 'source'), 'acquisition')
      .setParameters({ from: query.from, to: query.to, currency: query.currency ?? DEFAULT_CURRENCY, asOf: query.asOf ?? todayUtc(new Date()) });
    return keysetPage(q, { sort: query.sort ?? 'key', sorts: ACQUISITION_SORTS, idExpression: 'a.key', cursor, limit });
  }
}
