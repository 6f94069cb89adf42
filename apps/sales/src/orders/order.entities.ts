import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CustomerOrderLine } from '@clientela/contracts';
import { bigintAsNumber } from '@clientela/service-kit';

// Read-only mappings onto the orders projection's tables (schema proj_orders); numeric stays text, exact.
const schema = 'proj_orders';

@Entity({ schema, name: 'orders', synchronize: false })
export class OrderRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'customer_id' }) customerId!: string;
  @Column('text') source!: string;
  @Column('text', { name: 'source_order_id' }) sourceOrderId!: string;
  @Column('uuid', { name: 'deal_id', nullable: true }) dealId!: string | null;
  @Column('numeric') amount!: string;
  @Column('numeric') refunded!: string;
  @Column('text') currency!: string;
  @Column('jsonb', { nullable: true }) lines!: CustomerOrderLine[] | null;
  @Column('text') status!: 'placed' | 'cancelled';
  @Column('timestamptz', { name: 'placed_at' }) placedAt!: Date;
  @Column('timestamptz', { name: 'cancelled_at', nullable: true }) cancelledAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/**
 * A customer's revenue per currency, the customers merged into it included. Not a table:
 * `customer_revenue_merged` is the common table expression of the revenue list (orders.queries.ts),
 * which adds the projection's `customer_revenue` rows up under each survivor, so an unmerge gives
 * each customer its own rows back with nothing rewritten.
 */
@Entity({ name: 'customer_revenue_merged', synchronize: false })
export class CustomerRevenueRow {
  @PrimaryColumn('uuid', { name: 'customer_id' }) customerId!: string;
  @PrimaryColumn('text') currency!: string;
  @Column('bigint', { name: 'order_count', transformer: bigintAsNumber }) orderCount!: number;
  @Column('numeric') gross!: string;
  @Column('numeric') refunded!: string;
  @Column('numeric') net!: string;
  @Column('timestamptz', { name: 'first_order_at', nullable: true }) firstOrderAt!: Date | null;
  @Column('timestamptz', { name: 'last_order_at', nullable: true }) lastOrderAt!: Date | null;
}

export const orderEntities = [OrderRow, CustomerRevenueRow];
