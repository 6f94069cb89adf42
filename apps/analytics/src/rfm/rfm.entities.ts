import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@clientela/service-kit';

/**
 * A customer's RFM as of a date. Not a table: `rfm` is the common table expression the RFM query
 * computes from the purchases read model for the requested date (rfm.queries.ts), so lists page,
 * filter and sort it through TypeORM like any read model.
 */
@Entity({ name: 'rfm', synchronize: false })
export class RfmRow {
  @PrimaryColumn('uuid', { name: 'customer_id' }) customerId!: string;
  @Column('integer', { name: 'recency_days' }) recencyDays!: number;
  @Column('bigint', { transformer: bigintAsNumber }) frequency!: number;
  /** numeric stays text: exact. */
  @Column('numeric') monetary!: string;
  @Column('date', { name: 'first_purchase_on' }) firstPurchaseOn!: string;
  @Column('date', { name: 'last_purchase_on' }) lastPurchaseOn!: string;
  @Column('integer', { name: 'recency_score' }) recencyScore!: number;
  @Column('integer', { name: 'frequency_score' }) frequencyScore!: number;
  @Column('integer', { name: 'monetary_score' }) monetaryScore!: number;
  @Column('text') segment!: string;
}



/** A customer's segment on two dates: the `rfm_movement` expression of the movement query. */
@Entity({ name: 'rfm_movement', synchronize: false })
export class MovementRow {
  @PrimaryColumn('uuid', { name: 'customer_id' }) customerId!: string;
  @Column('text', { name: 'from_segment', nullable: true }) fromSegment!: string | null;
  @Column('text', { name: 'to_segment' }) toSegment!: string;
  @Column('numeric') monetary!: string;
}
export const rfmEntities = [RfmRow, MovementRow];
