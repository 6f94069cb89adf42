import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { NotFoundError, type CustomerOrderLine, fromUnits, toUnits } from '@clientela/contracts';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { CustomerRevenueRow, OrderRow } from './order.entities';
import type { ListCustomerRevenueQuery, ListOrdersQuery } from './orders.dto';

export interface OrderView {
  id: string;
  customerId: string;
  source: string;
  sourceOrderId: string;
  dealId: string | null;
  /** Exact decimal strings; net = amount - refunded, computed by PostgreSQL. */
  amount: string;
  refunded: string;
  net: string;
  currency: string;
  lines: CustomerOrderLine[] | null;
  status: 'placed' | 'cancelled';
  placedAt: string;
  cancelledAt: string | null;
  updatedAt: string;
}

/** A customer and the customers merged into it (the contacts service's merges). */
const membersOf = (param: string): string => `(select ${param}::uuid union all select m.contact_id from proj_customer_merges.members m where m.survivor_id = ${param}::uuid)`;

/** The revenue rows added up under the customer each counts as now (`CustomerRevenueRow`). */
const REVENUE_BY_SURVIVOR = `
  select coalesce(m.survivor_id, r.customer_id) as customer_id, r.currency, sum(r.order_count)::bigint as order_count,
         sum(r.gross) as gross, sum(r.refunded) as refunded, sum(r.net) as net,
         min(r.first_order_at) as first_order_at, max(r.last_order_at) as last_order_at
    from proj_orders.customer_revenue r left join proj_customer_merges.members m on m.contact_id = r.customer_id
   group by 1, 2`;

export interface CustomerRevenueView {
  customerId: string;
  currency: string;
  /** Orders placed and not cancelled. */
  orderCount: number;
  gross: string;
  refunded: string;
  /** gross - refunded. */
  net: string;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
}

const ORDER_SORTS: Record<string, SortKey> = {
  placedAt: { expression: 'o.placed_at' },
  amount: { expression: 'o.amount' },
  net: { expression: '(o.amount - o.refunded)' },
};
const REVENUE_SORTS: Record<string, SortKey> = {
  net: { expression: 'r.net' },
  orderCount: { expression: 'r.order_count' },
  lastOrderAt: { expression: "coalesce(r.last_order_at, '-infinity'::timestamptz)" },
};
const CSV_PAGE = 1_000;

type OrderWithNet = { order: OrderRow; net: string };

const orderView = ({ order: o, net }: OrderWithNet): OrderView => ({
  id: o.id,
  customerId: o.customerId,
  source: o.source,
  sourceOrderId: o.sourceOrderId,
  dealId: o.dealId,
  amount: o.amount,
  refunded: o.refunded,
  net,
  currency: o.currency,
  lines: o.lines,
  status: o.status,
  placedAt: o.placedAt.toISOString(),
  cancelledAt: o.cancelledAt?.toISOString() ?? null,
  updatedAt: o.updatedAt.toISOString(),
});

const revenueView = (r: CustomerRevenueRow): CustomerRevenueView => ({
  customerId: r.customerId,
  currency: r.currency,
  orderCount: r.orderCount,
  gross: r.gross,
  refunded: r.refunded,
  net: r.net,
  firstOrderAt: r.firstOrderAt?.toISOString() ?? null,
  lastOrderAt: r.lastOrderAt?.toISOString() ?? null,
});

@Injectable()
export class OrdersQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(id: string): Promise<OrderView> {
    const { items } = await this.ordersPage(this.db.getRepository(OrderRow).createQueryBuilder('o').where('o.id = :id', { id }), '-placedAt', undefined, 1);
    if (items.length === 0) throw new NotFoundError(`order ${id} not found`);
    return orderView(items[0]);
  }

  async list(query: ListOrdersQuery): Promise<Page<OrderView>> {
    const page = await this.ordersPage(this.filtered(query), query.sort ?? '-placedAt', query.cursor, query.limit);
    return { items: page.items.map(orderView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  csv(query: ListOrdersQuery): Readable {
    return csvStream(
      ['id', 'customer_id', 'source', 'source_order_id', 'deal_id', 'amount', 'refunded', 'net', 'currency', 'line_count', 'status', 'placed_at', 'cancelled_at'],
      async (cursor) => {
        const page = await this.ordersPage(this.filtered(query), query.sort ?? '-placedAt', cursor, CSV_PAGE);
        return { items: page.items.map(orderView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (o) => [o.id, o.customerId, o.source, o.sourceOrderId, o.dealId, o.amount, o.refunded, o.net, o.currency, o.lines?.length ?? 0, o.status, o.placedAt, o.cancelledAt],
    );
  }

  /**
   * A customer's order count and revenue, one entry per currency it bought in (none: no orders),
   * with the orders of the customers merged into it.
   */
  async customer(customerId: string): Promise<{ customerId: string; revenue: CustomerRevenueView[] }> {
    const rows = await this.db.query<Array<{ currency: string; order_count: string; gross: string; refunded: string; net: string; first_order_at: Date | null; last_order_at: Date | null }>>(
      `select r.currency, sum(r.order_count)::text as order_count, sum(r.gross)::text as gross, sum(r.refunded)::text as refunded,
              sum(r.net)::text as net, min(r.first_order_at) as first_order_at, max(r.last_order_at) as last_order_at
         from proj_orders.customer_revenue r where r.customer_id in ${membersOf('$1')} group by r.currency order by r.currency`,
      [customerId],
    );
    return {
      customerId,
      revenue: rows.map((r) => ({
        customerId,
        currency: r.currency,
        orderCount: Number(r.order_count),
        gross: r.gross,
        refunded: r.refunded,
        net: r.net,
        firstOrderAt: r.first_order_at?.toISOString() ?? null,
        lastOrderAt: r.last_order_at?.toISOString() ?? null,
      })),
    };
  }

  async revenue(query: ListCustomerRevenueQuery): Promise<Page<CustomerRevenueView>> {
    const page = await this.revenuePage(query, query.cursor, query.limit);
    return { items: page.items.map(revenueView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  revenueCsv(query: ListCustomerRevenueQuery): Readable {
    return csvStream(
      ['customer_id', 'currency', 'order_count', 'gross', 'refunded', 'net', 'first_order_at', 'last_order_at'],
      async (cursor) => {
        const page = await this.revenuePage(query, cursor, CSV_PAGE);
        return { items: page.items.map(revenueView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (r) => [r.customerId, r.currency, r.orderCount, r.gross, r.refunded, r.net, r.firstOrderAt, r.lastOrderAt],
    );
  }

  private async ordersPage(q: SelectQueryBuilder<OrderRow>, sort: string, cursor: string | undefined, limit: number | undefined): Promise<Page<OrderWithNet>> {
    const page = await keysetPage(q, { sort, sorts: ORDER_SORTS, idExpression: 'o.id', cursor, limit });
    // One row's subtraction, exact in bigint; sums over rows are PostgreSQL's.
    const items = page.items.map((order) => ({ order, net: fromUnits(toUnits(order.amount) - toUnits(order.refunded)) }));
    return { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  private filtered(query: ListOrdersQuery): SelectQueryBuilder<OrderRow> {
    const q = this.db.getRepository(OrderRow).createQueryBuilder('o');
    if (query.customer) q.andWhere(`o.customer_id in ${membersOf(':customer')}`, { customer: query.customer });
    if (query.source) q.andWhere('o.source = :source', { source: query.source });
    if (query.deal) q.andWhere('o.deal_id = :deal', { deal: query.deal });
    if (query.status) q.andWhere('o.status = :status', { status: query.status });
    if (query.currency) q.andWhere('o.currency = :currency', { currency: query.currency });
    if (query.placedFrom) q.andWhere('o.placed_at >= :placedFrom', { placedFrom: query.placedFrom });
    if (query.placedTo) q.andWhere('o.placed_at < :placedTo', { placedTo: query.placedTo });
    return q;
  }

  private revenuePage(query: ListCustomerRevenueQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<CustomerRevenueRow>> {
    const q = this.db.getRepository(CustomerRevenueRow).createQueryBuilder('r').addCommonTableExpression(REVENUE_BY_SURVIVOR, 'customer_revenue_merged');
    if (query.currency) q.andWhere('r.currency = :currency', { currency: query.currency });
    return keysetPage(q, { sort: query.sort ?? '-net', sorts: REVENUE_SORTS, idExpression: "(r.customer_id::text || ':' || r.currency)", cursor, limit });
  }
}
