import { randomUUID } from 'node:crypto';
import { streamId, type NewEvent, type StreamId } from '@clientela/contracts';
import { loadCdnow, type CdnowTransaction } from '@clientela/testing';

/**
 * The events of the projections bench, in the shape of the sample projection's catalogue
 * (libs/projections/src/testing/sample-orders.ts): `OrderPlaced` { orderId, customerId, amount,
 * currency, items, placedAt } and `OrderRefunded` { orderId, customerId, amount, refundedAt }.
 *
 * First the CDNOW master purchases (customer `cdnow-<id>`, as written in the file), then, to
 * reach the size asked for, synthetic customers (`synthetic-<n>`), each a copy of the purchase
 * history of a CDNOW customer drawn at random (same dates, CDs and dollars): the same
 * distribution of orders per customer, amounts and dates. Each order is refunded with
 * probability 5% (70% in full, else half), 1 to 30 days after it was placed. The whole timeline
 * is then ordered by day, as the events of a shop would be: a batch of 500 holds orders of about
 * as many customers, not the history of a few.
 */

export const REFUND_SHARE = 0.05;
export const EVENT_TYPES = ['OrderPlaced', 'OrderRefunded'] as const;
const DAY_MS = 86_400_000;
const PLACED = 0;
const REFUNDED = 1;

/** What the read model must add up to once every event is projected. */
export interface OrderTotals {
  placed: number;
  refunds: number;
  items: number;
  grossCents: number;
  refundedCents: number;
  customers: number;
}

/** A small seeded PRNG (mulberry32): the same run, the same events. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const dayOf = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
const isoOf = (day: number): string => new Date(day * DAY_MS).toISOString();

/** The timeline, column-wise in typed arrays (a million events cost ~25 MB, not ~500). */
export class OrderTimeline {
  readonly size: number;
  readonly totals: OrderTotals;
  private readonly kind: Uint8Array;
  private readonly customer: Int32Array;
  private readonly day: Int32Array;
  private readonly items: Int32Array;
  private readonly cents: Int32Array;
  /** For a refunded order and its refund: the index of the order id they share; else -1. */
  private readonly orderRef: Int32Array;
  private readonly orderIds: string[] = [];
  private readonly cdnowIds: string[] = [];
  private readonly cdnowCustomers: number;

  constructor(events: number, seed = 20_250_101, transactions: readonly CdnowTransaction[] = loadCdnow()) {
    if (!Number.isSafeInteger(events) || events < 1) throw new RangeError('events must be a positive integer');
    this.size = events;
    const random = seededRandom(seed);
    // CDNOW customers and their histories, in file order (by customer, then date).
    const histories: Array<Array<{ day: number; items: number; cents: number }>> = [];
    let last: string | undefined;
    for (const t of transactions) {
      if (t.customer !== last) {
        last = t.customer;
        this.cdnowIds.push(`cdnow-${t.customer}`);
        histories.push([]);
      }
      histories[histories.length - 1].push({ day: dayOf(t.date), items: t.cds, cents: Math.round(t.dollars * 100) });
    }
    this.cdnowCustomers = histories.length;

    // Unordered, then sorted by day below.
    const kind = new Uint8Array(events);
    const customer = new Int32Array(events);
    const day = new Int32Array(events);
    const items = new Int32Array(events);
    const cents = new Int32Array(events);
    const orderRef = new Int32Array(events).fill(-1);
    const totals: OrderTotals = { placed: 0, refunds: 0, items: 0, grossCents: 0, refundedCents: 0, customers: 0 };
    let n = 0;
    const place = (who: number, order: { day: number; items: number; cents: number }): void => {
      const i = n++;
      kind[i] = PLACED;
      customer[i] = who;
      day[i] = order.day;
      items[i] = order.items;
      cents[i] = order.cents;
      totals.placed++;
      totals.items += order.items;
      totals.grossCents += order.cents;
      if (n < events && random() < REFUND_SHARE) {
        const ref = this.orderIds.push(randomUUID()) - 1;
        orderRef[i] = ref;
        const r = n++;
        kind[r] = REFUNDED;
        customer[r] = who;
        day[r] = order.day + 1 + Math.floor(random() * 30);
        cents[r] = random() < 0.7 ? order.cents : Math.floor(order.cents / 2);
        orderRef[r] = ref;
        totals.refunds++;
        totals.refundedCents += cents[r];
      }
    };
    // The CDNOW purchases as they are...
    for (let c = 0; c < histories.length && n < events; c++) {
      totals.customers++;
      for (const order of histories[c]) {
        if (n >= events) break;
        place(c, order);
      }
    }
    // ...then synthetic customers, each a copy of a CDNOW customer's history.
    for (let s = histories.length; n < events; s++) {
      totals.customers++;
      for (const order of histories[Math.floor(random() * histories.length)]) {
        if (n >= events) break;
        place(s, order);
      }
    }
    this.totals = totals;

    // Counting sort by day (stable: within a day, in the order generated).
    let minDay = Infinity;
    let maxDay = -Infinity;
    for (let i = 0; i < events; i++) {
      minDay = Math.min(minDay, day[i]);
      maxDay = Math.max(maxDay, day[i]);
    }
    const starts = new Int32Array(maxDay - minDay + 2);
    for (let i = 0; i < events; i++) starts[day[i] - minDay + 1]++;
    for (let d = 1; d < starts.length; d++) starts[d] += starts[d - 1];
    const order = new Int32Array(events);
    for (let i = 0; i < events; i++) order[starts[day[i] - minDay]++] = i;
    const permute = <A extends Uint8Array | Int32Array>(source: A): A => {
      const target = new (source.constructor as new (length: number) => A)(events);
      for (let i = 0; i < events; i++) target[i] = source[order[i]];
      return target;
    };
    this.kind = permute(kind);
    this.customer = permute(customer);
    this.day = permute(day);
    this.items = permute(items);
    this.cents = permute(cents);
    this.orderRef = permute(orderRef);
  }

  customerId(index: number): string {
    return index < this.cdnowCustomers ? this.cdnowIds[index] : `synthetic-${index - this.cdnowCustomers + 1}`;
  }

  /** A customer drawn at random among those of the timeline (the lag phase's orders go to them). */
  randomCustomer(random: () => number): string {
    return this.customerId(Math.floor(random() * this.totals.customers));
  }

  event(i: number): NewEvent {
    const customerId = this.customerId(this.customer[i]);
    const ref = this.orderRef[i];
    const orderId = ref >= 0 ? this.orderIds[ref] : randomUUID();
    const amount = this.cents[i] / 100;
    if (this.kind[i] === REFUNDED) {
      return { type: 'OrderRefunded', data: { orderId, customerId, amount, refundedAt: isoOf(this.day[i]) }, metadata: { actor: 'bench' } };
    }
    return {
      type: 'OrderPlaced',
      data: { orderId, customerId, amount, currency: 'USD', items: this.items[i], placedAt: isoOf(this.day[i]) },
      metadata: { actor: 'bench' },
    };
  }

  /** The timeline cut into appends of `batchSize` events, one new `order-` stream each, made as they are taken. */
  *batches(batchSize: number): Generator<{ streamId: StreamId; events: NewEvent[] }> {
    for (let from = 0; from < this.size; from += batchSize) {
      const events: NewEvent[] = [];
      for (let i = from; i < Math.min(this.size, from + batchSize); i++) events.push(this.event(i));
      yield { streamId: streamId('order'), events };
    }
  }
}

/** One more order of an existing customer, placed now: what the lag phase appends. */
export const liveOrder = (customerId: string, random: () => number): NewEvent & { data: { amount: number; items: number } } => {
  const items = 1 + Math.floor(random() * 5);
  return {
    type: 'OrderPlaced',
    data: {
      orderId: randomUUID(),
      customerId,
      amount: (1_000 + Math.floor(random() * 9_000)) / 100,
      currency: 'USD',
      items,
      placedAt: new Date().toISOString(),
    },
    metadata: { actor: 'bench' },
  };
};
