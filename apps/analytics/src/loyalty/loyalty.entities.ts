import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A customer's loyalty as of a day: the `loyalty` expression of loyalty.sql.ts, not a table. */
@Entity({ name: 'loyalty', synchronize: false })
export class LoyaltyRow {
  @PrimaryColumn('uuid', { name: 'customer_id' }) customerId!: string;
  @Column('date', { name: 'first_purchase_on' }) firstPurchaseOn!: string;
  @Column('date', { name: 'last_purchase_on' }) lastPurchaseOn!: string;
  @Column('integer', { name: 'purchase_days' }) purchaseDays!: number;
  /** numeric stays text: exact. */
  @Column('numeric', { name: 'rolling_value' }) rollingValue!: string;
  @Column('integer', { name: 'tenure_days' }) tenureDays!: number;
  @Column('text') tier!: string;
  @Column('double precision', { name: 'probability_alive', nullable: true }) probabilityAlive!: number | null;
  @Column('double precision', { name: 'churn_risk', nullable: true }) churnRisk!: number | null;
  @Column('text', { name: 'churn_band', nullable: true }) churnBand!: string | null;
}

/** One cohort and month since its first purchase: the `cohort_retention` expression. */
@Entity({ name: 'cohort_retention', synchronize: false })
export class RetentionRow {
  @PrimaryColumn('text') id!: string;
  @Column('text') cohort!: string;
  @Column('integer', { name: 'cohort_size' }) cohortSize!: number;
  @Column('integer', { name: 'month_offset' }) monthOffset!: number;
  @Column('integer') customers!: number;
  @Column('numeric') retention!: string;
}

export const loyaltyEntities = [LoyaltyRow, RetentionRow];
