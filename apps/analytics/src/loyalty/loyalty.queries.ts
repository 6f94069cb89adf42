import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { DomainRuleError } from '@clientela/contracts';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { ValueModelService } from '../value-model/value-model.service';
import type { CohortRetentionQuery, ListLoyaltyQuery } from './loyalty.dto';
import { LoyaltyRow, RetentionRow } from './loyalty.entities';
import type { LoyaltyRules } from './loyalty-rules';
import { cohortRetentionSql, loyaltySql } from './loyalty.sql';

export const LOYALTY_RULES = Symbol('clientela:loyalty-rules');

const LOYALTY_SORTS: Record<string, SortKey> = {
  rollingValue: { expression: 'l.rolling_value' },
  tenureDays: { expression: 'l.tenure_days' },
  churnRisk: { expression: 'coalesce(l.churn_risk, -1)' },
  lastPurchaseOn: { expression: 'l.last_purchase_on' },
};
const RETENTION_SORTS: Record<string, SortKey> = { cohort: { expression: 'c.id' } };
const CSV_PAGE = 10_000;

export interface LoyaltyView {
  customerId: string;
  tier: string;
  rollingValue: string;
  tenureDays: number;
  purchaseDays: number;
  firstPurchaseOn: string;
  lastPurchaseOn: string;
  probabilityAlive: number | null;
  churnRisk: number | null;
  churnBand: string | null;
}

const loyaltyView = (l: LoyaltyRow): LoyaltyView => ({
  customerId: l.customerId,
  tier: l.tier,
  rollingValue: l.rollingValue,
  tenureDays: l.tenureDays,
  purchaseDays: l.purchaseDays,
  firstPurchaseOn: l.firstPurchaseOn,
  lastPurchaseOn: l.lastPurchaseOn,
  probabilityAlive: l.probabilityAlive,
  churnRisk: l.churnRisk,
  churnBand: l.churnBand,
});

const retentionView = (r: RetentionRow) => ({ cohort: r.cohort, cohortSize: r.cohortSize, monthOffset: r.monthOffset, customers: r.customers, retention: r.retention });

/**
 * Loyalty as of any day: tiers from the 12-month value and tenure, churn risk from the value model
 * fitted as of that day (cached per day until new orders arrive), repeat purchase rate, cohort retention.
 */
@Injectable()
export class LoyaltyQueries {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly values: ValueModelService,
    @Inject(LOYALTY_RULES) readonly rules: LoyaltyRules,
  ) {}

  /** The loyalty CTE's parameters: P(alive) of every customer as of the day, none when the model cannot be fitted yet. */
  async parameters(asOf: string, currency: string): Promise<Record<string, unknown>> {
    let ids: string[] = [];
    let alive: number[] = [];
    try {
      const p = await this.values.predictions(asOf, currency, { horizonWeeks: 52, discountRate: 0.1, margin: 1 });
      ({ customerIds: ids, probabilityAlive: alive } = p);
    } catch (error) {
      // Too few repeat buyers for the model: tiers still hold, churn risk is unknown (null).
      if (!(error instanceof DomainRuleError)) throw error;
    }
    return { asOf, currency, ids, alive };
  }

  /** Loyalty rows as a query builder (alias `l`), for lists and for the publisher. */
  async loyalty(asOf: string, currency: string): Promise<SelectQueryBuilder<LoyaltyRow>> {
    return this.db.getRepository(LoyaltyRow).createQueryBuilder('l').addCommonTableExpression(loyaltySql(this.rules), 'loyalty').setParameters(await this.parameters(asOf, currency));
  }

  async list(query: ListLoyaltyQuery, asOf: string): Promise<Page<LoyaltyView>> {
    const page = await this.loyaltyPage(query, asOf, query.cursor, query.limit);
    return { items: page.items.map(loyaltyView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  csv(query: ListLoyaltyQuery, asOf: string): Readable {
    return csvStream(
      ['customer_id', 'tier', 'rolling_value', 'tenure_days', 'purchase_days', 'first_purchase_on', 'last_purchase_on', 'probability_alive', 'churn_risk', 'churn_band'],
      async (cursor) => {
        const page = await this.loyaltyPage(query, asOf, cursor, CSV_PAGE);
        return { items: page.items.map(loyaltyView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (l) => [l.customerId, l.tier, l.rollingValue, l.tenureDays, l.purchaseDays, l.firstPurchaseOn, l.lastPurchaseOn, l.probabilityAlive, l.churnRisk, l.churnBand],
    );
  }

  /** Customers per tier and per churn band, and the repeat purchase rate (customers with two purchase days or more). */
  async summary(asOf: string, currency = DEFAULT_CURRENCY) {
    const q = await this.loyalty(asOf, currency);
    const rows = await q
      .select('l.tier', 'tier')
      .addSelect('l.churn_band', 'churnBand')
      .addSelect('count(*)::int', 'customers')
      .addSelect('count(*) filter (where l.purchase_days >= 2)::int', 'repeat')
      .addSelect('sum(l.rolling_value)::text', 'rollingValue')
      .groupBy('l.tier')
      .addGroupBy('l.churn_band')
      .getRawMany<{ tier: string; churnBand: string | null; customers: number; repeat: number; rollingValue: string }>();
    const customers = rows.reduce((n, r) => n + r.customers, 0);
    const repeat = rows.reduce((n, r) => n + r.repeat, 0);
    const sumBy = (key: 'tier' | 'churnBand', names: readonly string[]) =>
      names.map((name) => ({ [key]: name, customers: rows.filter((r) => r[key] === name).reduce((n, r) => n + r.customers, 0) }));
    return {
      asOf,
      currency,
      customers,
      repeatCustomers: repeat,
      repeatPurchaseRate: customers === 0 ? null : Number((repeat / customers).toFixed(4)),
      tiers: sumBy('tier', ['bronze', ...this.rules.tiers.map((t) => t.tier)]),
      churnBands: sumBy('churnBand', ['low', ...this.rules.bands.map((b) => b.band)]),
    };
  }

  async cohorts(query: CohortRetentionQuery, asOf: string) {
    const page = await this.retentionPage(query, asOf, query.cursor, query.limit);
    return { items: page.items.map(retentionView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  cohortsCsv(query: CohortRetentionQuery, asOf: string): Readable {
    return csvStream(
      ['cohort', 'cohort_size', 'month_offset', 'customers', 'retention'],
      async (cursor) => {
        const page = await this.retentionPage(query, asOf, cursor, CSV_PAGE);
        return { items: page.items.map(retentionView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (r) => [r.cohort, r.cohortSize, r.monthOffset, r.customers, r.retention],
    );
  }

  private async loyaltyPage(query: ListLoyaltyQuery, asOf: string, cursor: string | undefined, limit: number | undefined): Promise<Page<LoyaltyRow>> {
    const q = await this.loyalty(asOf, query.currency ?? DEFAULT_CURRENCY);
    if (query.tier) q.andWhere('l.tier = :tier', { tier: query.tier });
    if (query.churnBand) q.andWhere('l.churn_band = :churnBand', { churnBand: query.churnBand });
    return keysetPage(q, { sort: query.sort ?? '-rollingValue', sorts: LOYALTY_SORTS, idExpression: 'l.customer_id', cursor, limit });
  }

  private retentionPage(query: CohortRetentionQuery, asOf: string, cursor: string | undefined, limit: number | undefined): Promise<Page<RetentionRow>> {
    const q = this.db
      .getRepository(RetentionRow)
      .createQueryBuilder('c')
      .addCommonTableExpression(cohortRetentionSql, 'cohort_retention')
      .setParameters({ asOf, currency: query.currency ?? DEFAULT_CURRENCY });
    if (query.fromCohort) q.andWhere('c.cohort >= :fromCohort', { fromCohort: query.fromCohort });
    if (query.toCohort) q.andWhere('c.cohort <= :toCohort', { toCohort: query.toCohort });
    if (query.maxMonths !== undefined) q.andWhere('c.month_offset <= :maxMonths', { maxMonths: query.maxMonths });
    return keysetPage(q, { sort: 'cohort', sorts: RETENTION_SORTS, idExpression: 'c.id', cursor, limit });
  }
}
