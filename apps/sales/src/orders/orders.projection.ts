import { type CustomerOrderPlacedPayload, type CustomerOrderRefundedPayload, type DealReopenedPayload, type DealWonPayload, type RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';

/**
 * Orders and what each customer bought: ingested orders and refunds (CustomerOrderPlaced/Refunded,
 * which the contacts service appends to `order-` streams) and won deals (DealWon; a reopened won
 * deal cancels its order). Amounts are numeric and added exactly, so net revenue is exact.
 */
export const ORDERS_PROJECTION = 'orders';

const tables = {
  orders: {
    columns: {
      id: 'uuid',
      customer_id: 'uuid',
      /** `deal` for a won deal, else the system the order was ingested from. */
      source: 'text',
      source_order_id: 'text',
      deal_id: 'uuid',
      amount: 'numeric',
      refunded: { type: 'numeric', default: '0' },
      currency: 'text',
      lines: 'jsonb',
      status: 'text',
      placed_at: 'timestamptz',
      cancelled_at: 'timestamptz',
      updated_at: 'timestamptz',
    },
    primaryKey: ['id'],
    indexes: [['customer_id'], ['placed_at'], ['source', 'source_order_id'], ['deal_id']],
  },
  /** Per customer and currency (amounts of different currencies are never added). */
  customer_revenue: {
    columns: {
      customer_id: 'uuid',
      currency: 'text',
      order_count: { type: 'bigint', default: '0' },
      gross: { type: 'numeric', default: '0' },
      refunded: { type: 'numeric', default: '0' },
      net: { type: 'numeric', default: '0' },
      first_order_at: 'timestamptz',
      last_order_at: 'timestamptz',
    },
    primaryKey: ['customer_id', 'currency'],
    indexes: [['net'], ['order_count']],
    // Sums per customer, updated by every order, refund and cancellation.
    fillfactor: 70,
  },
} as const;

const negative = (amount: string): string => `-${amount}`;
const recordedAt = (event: RecordedEvent): string => (event.recordedAt instanceof Date ? event.recordedAt.toISOString() : String(event.recordedAt));
/** `order-<uuid>` → the uuid: an ingested order's id is its stream's. */
const idOfStream = (streamId: string): string => streamId.slice(streamId.indexOf('-') + 1);

const placed = (id: string, customerId: string, currency: string, amount: string, at: string, set: Record<string, string | number | null>): RowChange[] => [
  { table: 'orders', key: { id }, set: { customer_id: customerId, amount, currency, status: 'placed', placed_at: at, ...set } },
  {
    table: 'customer_revenue',
    key: { customer_id: customerId, currency },
    add: { order_count: 1, gross: amount, net: amount },
    min: { first_order_at: at },
    max: { last_order_at: at },
  },
];

export const ordersProjection = defineProjection<RowProjection<typeof tables>>({
  name: ORDERS_PROJECTION,
  version: 1,
  categories: ['order', 'deal'],
  eventTypes: ['CustomerOrderPlaced', 'CustomerOrderRefunded', 'DealWon', 'DealReopened'],
  tables,
  project: (event: RecordedEvent): RowChange[] => {
    const touched = (id: string): RowChange => ({ table: 'orders', key: { id }, max: { updated_at: recordedAt(event) } });
    switch (event.type) {
      case 'CustomerOrderPlaced': {
        const d = event.data as unknown as CustomerOrderPlacedPayload;
        const id = idOfStream(event.streamId);
        return [
          ...placed(id, d.customerId, d.currency, d.amount, d.occurredAt, { source: d.source, source_order_id: d.orderId, lines: JSON.stringify(d.lines) }),
          touched(id),
        ];
      }
      case 'CustomerOrderRefunded': {
        const d = event.data as unknown as CustomerOrderRefundedPayload;
        const id = idOfStream(event.streamId);
        return [
          { table: 'orders', key: { id }, add: { refunded: d.amount } },
          { table: 'customer_revenue', key: { customer_id: d.customerId, currency: d.currency }, add: { refunded: d.amount, net: negative(d.amount) } },
          touched(id),
        ];
      }
      case 'DealWon': {
        const d = event.data as unknown as DealWonPayload;
        return [...placed(d.orderId, d.customerId, d.currency, d.amount, d.wonAt, { source: 'deal', source_order_id: d.dealId, deal_id: d.dealId }), touched(d.orderId)];
      }
      case 'DealReopened': {
        const d = event.data as unknown as DealReopenedPayload;
        if (!d.cancelledOrderId || !d.cancelledAmount || !d.cancelledCurrency) return [];
        return [
          { table: 'orders', key: { id: d.cancelledOrderId }, set: { status: 'cancelled', cancelled_at: d.reopenedAt } },
          {
            table: 'customer_revenue',
            key: { customer_id: d.customerId, currency: d.cancelledCurrency },
            add: { order_count: -1, gross: negative(d.cancelledAmount), net: negative(d.cancelledAmount) },
          },
          touched(d.cancelledOrderId),
        ];
      }
      default:
        return [];
    }
  },
});
