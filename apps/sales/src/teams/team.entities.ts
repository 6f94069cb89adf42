import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@clientela/service-kit';

// Read-only mappings onto the sales_teams projection's tables (schema proj_sales_teams).
const schema = 'proj_sales_teams';

@Entity({ schema, name: 'teams', synchronize: false })
export class SalesTeamRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('bigint', { transformer: bigintAsNumber }) revision!: number;
}

@Entity({ schema, name: 'reps', synchronize: false })
export class SalesRepRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text', { nullable: true }) email!: string | null;
  @Column('uuid', { name: 'team_id', nullable: true }) teamId!: string | null;
  @Column('timestamptz', { name: 'registered_at' }) registeredAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('bigint', { transformer: bigintAsNumber }) revision!: number;
}

@Entity({ schema, name: 'quotas', synchronize: false })
export class SalesQuotaRow {
  @PrimaryColumn('uuid', { name: 'rep_id' }) repId!: string;
  @PrimaryColumn('text') period!: string;
  @Column('numeric') amount!: string;
  @Column('text') currency!: string;
  @Column('timestamptz', { name: 'set_at' }) setAt!: Date;
}

export const salesTeamEntities = [SalesTeamRow, SalesRepRow, SalesQuotaRow];
