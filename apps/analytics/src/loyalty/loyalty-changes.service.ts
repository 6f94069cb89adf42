import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ChurnBand, LoyaltyTier } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { schemaOf } from '@clientela/projections';
import { EVENT_STORE, SERVICE_INFRASTRUCTURE, type ServiceInfrastructure } from '@clientela/service-kit';
import { appendDailyChanges, runDaily } from '../daily-run';
import { DAILY_CURRENCY } from '../segment-changes/segment-changes.service';
import { planLoyaltyChanges } from './loyalty-changes';
import { LOYALTY_PROJECTION } from './loyalty.projection';
import { LoyaltyQueries } from './loyalty.queries';
import { loyaltySql } from './loyalty.sql';

const LOYALTY_SCHEMA = schemaOf({ name: LOYALTY_PROJECTION });

/** Each customer's loyalty on the day beside the tier and band last published and its stream's revision. */
const loyaltyStatesSql = `
  select l.*, c.tier as published_tier, c.churn_band as published_band, s.revision::int as revision
    from loyalty l
    left join ${LOYALTY_SCHEMA}.current_loyalty c on c.customer_id = l.customer_id and c.currency = :currency
    left join ${LOYALTY_SCHEMA}.loyalty_streams s on s.customer_id = l.customer_id`;

export interface LoyaltyChangesRun {
  asOf: string;
  currency: string;
  /** Customers with a tier or band change. */
  changed: number;
  tierChanges: number;
  bandChanges: number;
  /** Of the changed customers, those a run of the same day had already appended. */
  duplicates: number;
  position?: string;
}

/**
 * Publishes `CustomerLoyaltyTierChanged` and `CustomerChurnBandChanged` for every customer whose tier
 * or churn band on a day differs from the one last published (the loyalty read model), as segment
 * changes are published: ids derived from customer, currency and day, each append at the revision the
 * read model knows (a lagging read model fails the run with 409 instead of publishing a stale `from`).
 */
@Injectable()
export class LoyaltyChangesService implements OnApplicationBootstrap, OnModuleDestroy {
  private stopDaily: (() => void) | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly loyalty: LoyaltyQueries,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SERVICE_INFRASTRUCTURE) private readonly infra: ServiceInfrastructure,
  ) {}

  async publish(asOf: string, currency: string): Promise<LoyaltyChangesRun> {
    const states = await this.db
      .createQueryBuilder()
      .addCommonTableExpression(loyaltySql(this.loyalty.rules), 'loyalty')
      .addCommonTableExpression(loyaltyStatesSql, 'loyalty_state')
      .select('st.customer_id', 'customerId')
      .addSelect('st.tier', 'tier')
      .addSelect('st.rolling_value::text', 'rollingValue')
      .addSelect('st.tenure_days', 'tenureDays')
      .addSelect('st.churn_band', 'churnBand')
      .addSelect('st.churn_risk', 'churnRisk')
      .addSelect('st.published_tier', 'publishedTier')
      .addSelect('st.published_band', 'publishedBand')
      .addSelect('st.revision', 'revision')
      .from('loyalty_state', 'st')
      .where('st.tier is distinct from st.published_tier or (st.churn_band is not null and st.churn_band is distinct from st.published_band)')
      .orderBy('st.customer_id')
      .setParameters(await this.loyalty.parameters(asOf, currency))
      .getRawMany<{ customerId: string; tier: LoyaltyTier; rollingValue: string; tenureDays: number; churnBand: ChurnBand | null; churnRisk: number | null; publishedTier: LoyaltyTier | null; publishedBand: ChurnBand | null; revision: number | null }>();
    const changes = planLoyaltyChanges(
      states.map((s) => ({
        customerId: s.customerId,
        tier: s.tier,
        rollingValue: s.rollingValue,
        tenureDays: s.tenureDays,
        churnBand: s.churnBand ?? undefined,
        churnRisk: s.churnRisk ?? undefined,
        publishedTier: s.publishedTier ?? undefined,
        publishedBand: s.publishedBand ?? undefined,
        revision: s.revision ?? undefined,
      })),
      asOf,
      currency,
    );
    const { duplicates, position } = await appendDailyChanges(this.store, changes, asOf);
    const count = (type: string) => changes.reduce((n, c) => n + c.events.filter((e) => e.type === type).length, 0);
    return {
      asOf,
      currency,
      changed: changes.length,
      tierChanges: count('CustomerLoyaltyTierChanged'),
      bandChanges: count('CustomerChurnBandChanged'),
      duplicates,
      ...(position !== undefined ? { position } : {}),
    };
  }

  onApplicationBootstrap(): void {
    this.stopDaily = runDaily('loyalty changes', (day) => this.publish(day, DAILY_CURRENCY), this.infra.logger);
  }

  onModuleDestroy(): void {
    this.stopDaily?.();
  }
}
