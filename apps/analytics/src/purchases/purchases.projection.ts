import type { CustomerOrderPlacedPayload, CustomerOrderRefundedPayload, DealReopenedPayload, DealWonPayload, RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';
import { customerChanged, customerChangesTable } from '../customer-view/customer-changes';

/**
 * Every purchase of every customer, with the day it was placed and each refund with the day it was
 * paid back, so that RFM and the value model can be computed as of any date (a refund after the date
 * does not count yet). From the contacts service's ingested orders (CustomerOrderPlaced/Refunded in
 * `order-` streams) and the sales service's won deals (DealWon; a reopened deal cancels its order).
 * The customer is a column, never part of a key: a merge of two contacts can later move their rows
 * to the survivor with one update per table.
 */
export const PURCHASES_PROJECTION = 'analytics_purchases';

const tables = {
  orders: {
    columns: {
      id: 'uuid',
      customer_id: 'uuid',
      /** `deal` for a won deal, else the system the order was ingested from. */
      source: 'text',
      amount: 'numeric',
      currency: 'text',
      placed_at: 'timestamptz',
      /** The UTC day: purchases on one day count as one in RFM frequency and in the value model. */
      placed_on: 'date',
      /** A won deal reopened: the order stops counting from this day. */
      cancelled_on: 'date',
      /** The order at its source (ingested orders), for the customer's timeline. */
      source_order_id: 'text',
      /** The event that placed it and its store position: the customer's timeline lists ingested orders from here. */
      event_id: 'uuid',
      position: 'numeric',
    },
    primaryKey: ['id'],
    indexes: [['customer_id'], ['placed_on']],
  },
  refunds: {
    columns: {
      /** The refund event's id: two refunds of one order on one day are two rows. */
      id: 'uuid',
      order_id: 'uuid',
      customer_id: 'uuid',
      amount: 'numeric',
      currency: 'text',
      refunded_on: 'date',
      refunded_at: 'timestamptz',
      source_order_id: 'text',
      position: 'numeric',
    },
    primaryKey: ['id'],
    indexes: [['order_id'], ['customer_id']],
  },
  /** One row counting the changes to orders: the value model's cache is valid while it stays the same. */
  order_changes: {
    columns: { id: 'text', changes: { type: 'bigint', default: '0' } },
    primaryKey: ['id'],
  },
  customer_changes: customerChangesTable,
} as const;

/** `order-<uuid>` → the uuid: an ingested order's id is its stream's. */
const idOfStream = (streamId: string): string => streamId.slice(streamId.indexOf('-') + 1);
/** A time written in UTC (`...Z`, no offset): its day is its first ten characters. */
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T[\d:.]*Z$/;

/** The UTC day of an ISO 8601 time, whatever offset it was written with (parsed only when it has one: a rebuild takes millions). */
export const utcDay = (iso: string): string => (UTC_TIME.test(iso) ? iso.slice(0, 10) : new Date(iso).toISOString().slice(0, 10));
const changed: RowChange = { table: 'order_changes', key: { id: 'orders' }, add: { changes: 1 } };

const placed = (event: RecordedEvent, id: string, customerId: string, source: string, sourceOrderId: string | null, amount: string, currency: string, at: string): RowChange[] => [
  {
    table: 'orders',
    key: { id },
    set: { customer_id: customerId, source, amount, currency, placed_at: at, placed_on: utcDay(at), source_order_id: sourceOrderId, event_id: event.id, position: event.position.toString(10) },
  },
  changed,
  customerChanged(customerId),
];

export const purchasesProjection = defineProjection<RowProjection<typeof tables>>({
  name: PURCHASES_PROJECTION,
  // 2: event ids, positions and times for the customer timeline. 3: the view's change counters.
  version: 3,
  // Both categories belong to the sales context, so in Kafka mode this follows one topic.
  categories: ['order', 'deal'],
  eventTypes: ['CustomerOrderPlaced', 'CustomerOrderRefunded', 'DealWon', 'DealReopened'],
  tables,
  project: (event: RecordedEvent): RowChange[] => {
    switch (event.type) {
      case 'CustomerOrderPlaced': {
        const d = event.data as unknown as CustomerOrderPlacedPayload;
        return placed(event, idOfStream(event.streamId), d.customerId, d.source, d.orderId, d.amount, d.currency, d.occurredAt);
      }
      case 'CustomerOrderRefunded': {
        const d = event.data as unknown as CustomerOrderRefundedPayload;
        return [
          {
            table: 'refunds',
            key: { id: event.id },
            set: {
              order_id: idOfStream(event.streamId),
              customer_id: d.customerId,
              amount: d.amount,
              currency: d.currency,
              refunded_on: utcDay(d.occurredAt),
              refunded_at: d.occurredAt,
              source_order_id: d.orderId,
              position: event.position.toString(10),
            },
          },
          changed,
          customerChanged(d.customerId),
        ];
      }
      case 'DealWon': {
        const d = event.data as unknown as DealWonPayload;
        return placed(event, d.orderId, d.customerId, 'deal', null, d.amount, d.currency, d.wonAt);
      }
      case 'DealReopened': {
        const d = event.data as unknown as DealReopenedPayload;
        if (!d.cancelledOrderId) return [];
        return [{ table: 'orders', key: { id: d.cancelledOrderId }, set: { cancelled_on: utcDay(d.reopenedAt) } }, changed, customerChanged(d.customerId)];
      }
      default:
        return [];
    }
  },
});
