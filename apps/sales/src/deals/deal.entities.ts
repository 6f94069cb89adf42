import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DealLine } from '@clientela/contracts';
import { bigintAsNumber } from '@clientela/service-kit';

// Read-only mappings onto the deals projection's tables (schema proj_deals). Amounts stay strings:
// numeric comes back from pg as text, exact.
const schema = 'proj_deals';

@Entity({ schema, name: 'deals', synchronize: false })
export class DealRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'customer_id' }) customerId!: string;
  @Column('uuid', { name: 'pipeline_id' }) pipelineId!: string;
  @Column('text', { name: 'stage_id' }) stageId!: string;
  @Column('integer') probability!: number;
  @Column('text') name!: string;
  @Column('numeric') amount!: string;
  @Column('text') currency!: string;
  @Column('date', { name: 'expected_close_date', nullable: true }) expectedCloseDate!: string | null;
  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId!: string | null;
  @Column('uuid', { name: 'account_id', nullable: true }) accountId!: string | null;
  @Column('jsonb') lines!: DealLine[];
  @Column('uuid', { name: 'lead_id', nullable: true }) leadId!: string | null;
  @Column('text', { nullable: true }) source!: string | null;
  @Column('text') status!: 'open' | 'won' | 'lost';
  @Column('timestamptz', { name: 'opened_at' }) openedAt!: Date;
  @Column('timestamptz', { name: 'stage_entered_at' }) stageEnteredAt!: Date;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt!: Date | null;
  @Column('text', { name: 'close_reason', nullable: true }) closeReason!: string | null;
  @Column('uuid', { name: 'order_id', nullable: true }) orderId!: string | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('bigint', { transformer: bigintAsNumber }) revision!: number;
}

@Entity({ schema, name: 'deal_stage_history', synchronize: false })
export class DealStageHistoryRow {
  @PrimaryColumn('uuid', { name: 'deal_id' }) dealId!: string;
  @PrimaryColumn('bigint', { transformer: bigintAsNumber }) revision!: number;
  @Column('text', { name: 'stage_id' }) stageId!: string;
  @Column('bigint', { name: 'seconds_in_stage', transformer: bigintAsNumber }) secondsInStage!: number;
  @Column('timestamptz', { name: 'left_at' }) leftAt!: Date;
  @Column('text') outcome!: string;
}

export const dealEntities = [DealRow, DealStageHistoryRow];
