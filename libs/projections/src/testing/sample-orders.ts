import { randomUUID } from 'node:crypto';
import { IsISO8601, IsInt, IsNumber, IsString, Length, Min } from 'class-validator';
import { defineEvent, EventCatalogue, streamId, type Position, type RecordedEvent } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { defineProjection, type RowChange, type RowProjection } from '../projection';

/** The sample projection of this library's tests and benchmark: orders and net revenue per customer. */
class OrderPlaced {
  @IsString() orderId!: string;
  @IsString() customerId!: string;
  @IsNumber({ maxDecimalPlaces: 2 }) @Min(0) amount!: number;
  @IsString() @Length(3, 3) currency!: string;
  @IsInt() @Min(0) items!: number;
  @IsISO8601() placedAt!: string;
}
class OrderRefunded {
  @IsString() orderId!: string;
  @IsString() customerId!: string;
  @IsNumber({ maxDecimalPlaces: 2 }) @Min(0) amount!: number;
  @IsISO8601() refundedAt!: string;
}

export const OrderPlacedEvent = defineEvent({ type: 'OrderPlaced', payload: OrderPlaced });
export const OrderRefundedEvent = defineEvent({ type: 'OrderRefunded', payload: OrderRefunded });
export const ordersCatalogue = (): EventCatalogue => new EventCatalogue([OrderPlacedEvent, OrderRefundedEvent]);

export type OrderPlacedData = OrderPlaced;
export type OrderRefundedData = OrderRefunded;

const tables = {
  customer_revenue: {
    columns: {
      customer_id: 'text',
      orders: { type: 'bigint', default: '0' },
      items: { type: 'bigint', default: '0' },
      gross_revenue: { type: 'numeric', default: '0' },
      refunded: { type: 'numeric', default: '0' },
      net_revenue: { type: 'numeric', default: '0' },
      first_order_at: 'timestamptz',
      last_order_at: 'timestamptz',
    },
    primaryKey: ['customer_id'],
    indexes: [['net_revenue']],
    // Sums per customer, updated by every order and refund.
    fillfactor: 70,
  },
} as const;

export const customerRevenueProjection = (overrides: Partial<Pick<RowProjection, 'name' | 'version' | 'categories'>> = {}) =>
  defineProjection<RowProjection>({
    name: 'customer_revenue',
    version: 1,
    eventTypes: ['OrderPlaced', 'OrderRefunded'],
    tables,
    ...overrides,
    project: (event: RecordedEvent): RowChange[] => {
      if (event.type === 'OrderPlaced') {
        const order = event.data as unknown as OrderPlaced;
        return [
          {
            table: 'customer_revenue',
            key: { customer_id: order.customerId },
            add: { orders: 1, items: order.items, gross_revenue: order.amount, net_revenue: order.amount },
            min: { first_order_at: order.placedAt },
            max: { last_order_at: order.placedAt },
          },
        ];
      }
      if (event.type === 'OrderRefunded') {
        const refund = event.data as unknown as OrderRefunded;
        return [
          {
            table: 'customer_revenue',
            key: { customer_id: refund.customerId },
            add: { refunded: refund.amount, net_revenue: -refund.amount },
          },
        ];
      }
      return [];
    },
  });

/**
 * Appends `count` orders of `category`, each in a stream of its own, over 37 customers, with a refund
 * after every fifth: for tests that need a history to build and compare. Resolves to the last position.
 */
export const appendSampleOrders = async (store: EventStore, category: string, count: number): Promise<Position> => {
  let last: Position = 0n;
  for (let i = 0; i < count; i++) {
    const customerId = `c${i % 37}`;
    const result = await store.append(streamId(category), [
      {
        type: 'OrderPlaced',
        data: { orderId: randomUUID(), customerId, amount: ((i * 7919) % 10_000) / 100, currency: 'USD', items: 1 + (i % 4), placedAt: new Date(Date.UTC(1997, 0, 1 + (i % 300))).toISOString() },
      },
      ...(i % 5 === 0 ? [{ type: 'OrderRefunded', data: { orderId: randomUUID(), customerId, amount: 1.1, refundedAt: '1997-12-01T00:00:00.000Z' } }] : []),
    ]);
    last = result.position;
  }
  return last;
};

/** An order event to append or to give a projection spec. */
export interface OrderEvent {
  type: 'OrderPlaced' | 'OrderRefunded';
  data: Record<string, unknown>;
}

/** An OrderPlaced of `customerId` on day `day` of 1997 (0: 1 January), with an order id of its own. */
export const placedOrder = (customerId: string, amount: number, day: number, items = 1): OrderEvent => ({
  type: 'OrderPlaced',
  data: { orderId: randomUUID(), customerId, amount, currency: 'USD', items, placedAt: new Date(Date.UTC(1997, 0, 1 + day)).toISOString() },
});

export const refundedOrder = (customerId: string, amount: number): OrderEvent => ({
  type: 'OrderRefunded',
  data: { orderId: randomUUID(), customerId, amount, refundedAt: '1997-06-01T00:00:00.000Z' },
});

/** A deterministic mixed history (about 15% refunds) over `customers` customers. */
export const orderHistory = (count: number, customers: number, seed0 = 7): OrderEvent[] => {
  let seed = seed0;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, (_, i) => {
    const customer = `c${Math.floor(random() * customers)}`;
    return random() < 0.15
      ? refundedOrder(customer, Math.round(random() * 500) / 100)
      : placedOrder(customer, Math.round(random() * 10_000) / 100, i % 500, 1 + (i % 3));
  });
};

/**
 * `writers` writers appending two orders at a time to `category` until stopped (`pauseMs` between
 * appends), over 60 customers; `order(customerId, i)` makes each. For tests that rebuild or read
 * while events flow. stop() answers how many orders they wrote and the last position.
 */
export const startOrderWriters = (
  store: EventStore,
  category: string,
  order: (customerId: string, i: number) => OrderEvent,
  { writers = 3, pauseMs = 0 }: { writers?: number; pauseMs?: number } = {},
) => {
  let writing = true;
  let written = 0;
  let last: Position = 0n;
  const running = Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; writing; i++) {
      const result = await store.append(streamId(category), [order(`c${(w * 13 + i) % 60}`, i), order(`c${(w * 7 + i) % 60}`, i + 1)]);
      written += 2;
      if (result.position > last) last = result.position;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  });
  return {
    async stop(): Promise<{ written: number; last: Position }> {
      writing = false;
      await Promise.all(running);
      return { written, last };
    },
  };
};
