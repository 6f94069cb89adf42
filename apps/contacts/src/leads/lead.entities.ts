import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@clientela/service-kit';

// TypeORM mappings onto the tables of the leads projection (schema proj_leads). The projection
// creates, rebuilds and swaps them; these only read (no migrations, never synchronize).
const schema = 'proj_leads';

@Entity({ schema, name: 'leads', synchronize: false })
export class LeadRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') source!: string;
  @Column('uuid', { name: 'campaign_id', nullable: true }) campaignId!: string | null;
  /** numeric: pg hands it over as a string, which keeps the decimals exact. */
  @Column('numeric', { name: 'cost_amount', nullable: true }) costAmount!: string | null;
  @Column('text', { name: 'cost_currency', nullable: true }) costCurrency!: string | null;
  @Column('text', { name: 'given_name', nullable: true }) givenName!: string | null;
  @Column('text', { name: 'family_name', nullable: true }) familyName!: string | null;
  @Column('text', { nullable: true }) email!: string | null;
  @Column('text', { nullable: true }) phone!: string | null;
  @Column('text', { name: 'company_name', nullable: true }) companyName!: string | null;
  @Column('text') status!: string;
  @Column('integer', { nullable: true }) score!: number | null;
  @Column('text', { name: 'status_reason', nullable: true }) statusReason!: string | null;
  @Column('uuid', { name: 'contact_id', nullable: true }) contactId!: string | null;
  @Column('uuid', { name: 'account_id', nullable: true }) accountId!: string | null;
  @Column('timestamptz', { name: 'captured_at' }) capturedAt!: Date;
  @Column('timestamptz', { name: 'converted_at', nullable: true }) convertedAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('bigint', { transformer: bigintAsNumber }) revision!: number;
}

@Entity({ schema, name: 'lead_costs', synchronize: false })
export class LeadCostRow {
  @PrimaryColumn('text') source!: string;
  /** The campaign id, or '' for leads without one. */
  @PrimaryColumn('text') campaign!: string;
  /** ISO 4217, or '' for leads captured without a cost. */
  @PrimaryColumn('text') currency!: string;
  @Column('bigint', { transformer: bigintAsNumber }) leads!: number;
  @Column('numeric') cost!: string;
}

export const leadEntities = [LeadRow, LeadCostRow];
