import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A period and source of the lifecycle funnel: the `funnel` expression of funnel.sql.ts. */
@Entity({ name: 'funnel', synchronize: false })
export class FunnelRow {
  @PrimaryColumn('text') id!: string;
  @Column('text') period!: string;
  @Column('text') source!: string;
  @Column('integer') contacts!: number;
  @Column('integer', { array: true }) reached!: number[];
  @Column('integer') churned!: number;
}

/** A source or campaign of the acquisition report: the `acquisition` expression. */
@Entity({ name: 'acquisition', synchronize: false })
export class AcquisitionRow {
  @PrimaryColumn('text') key!: string;
  @Column('integer') leads!: number;
  @Column('integer') qualified!: number;
  @Column('integer') converted!: number;
  @Column('integer') customers!: number;
  /** numerics stay text: exact. */
  @Column('numeric') cost!: string;
  @Column('numeric', { name: 'cost_per_lead' }) costPerLead!: string;
  @Column('numeric') conversion!: string;
  @Column('numeric') revenue!: string;
  @Column('numeric', { nullable: true }) roi!: string | null;
}

export const funnelEntities = [FunnelRow, AcquisitionRow];
