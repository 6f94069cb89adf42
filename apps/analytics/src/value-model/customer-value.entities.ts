import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A customer's predicted value: not a table but the `customer_value` expression of the value list
 * (value-model.queries.ts), the service's predictions joined with net revenue to date, so the list
 * pages, filters and sorts through TypeORM like any read model.
 */
@Entity({ name: 'customer_value', synchronize: false })
export class CustomerValueRow {
  @PrimaryColumn('uuid', { name: 'customer_id' }) customerId!: string;
  @Column('integer', { name: 'repeat_purchases' }) repeatPurchases!: number;
  @Column('double precision', { name: 'probability_alive' }) probabilityAlive!: number;
  @Column('double precision', { name: 'expected_purchases' }) expectedPurchases!: number;
  @Column('double precision', { name: 'expected_spend' }) expectedSpend!: number;
  @Column('double precision', { name: 'predicted_value' }) predictedValue!: number;
  /** Exact: numeric as text. */
  @Column('numeric', { name: 'net_revenue' }) netRevenue!: string;
  @Column('numeric', { name: 'historic_value' }) historicValue!: string;
}

export const customerValueEntities = [CustomerValueRow];
