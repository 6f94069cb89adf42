import { randomUUID } from 'node:crypto';
import { IsIn, IsInt, IsISO8601, IsNumber, IsUUID, Matches, Min } from 'class-validator';
import { defineEvent, EventCatalogue, PersonalData, streamId, type StreamId } from '@clientela/contracts';
import { customerUuid, loadCdnow, type CdnowTransaction } from '@clientela/testing';

/**
 * What the bench writes: one CDNOW purchase as an order placed by a known customer. Made by a
 * function, so that the sealed store's class (where the customer's id in the source system is
 * personal data, an ingest identifier) has the same decorators without being a subclass:
 * class-validator merges a subclass's rules with its parent's at every validation (about 2 µs an
 * event here), which would have been counted against sealing.
 */
const orderPlacedPayload = (personal: boolean) => {
  class OrderPlacedPayload {
    @IsUUID()
    orderId!: string;

    /** The contact id of the customer (every event about a customer carries it). */
    @IsUUID()
    customerId!: string;

    /** The customer's id in the source system (CDNOW). */
    @Matches(/^\d+$/)
    externalCustomerId!: string;

    @IsISO8601({ strict: true })
    placedAt!: string;

    @IsInt()
    @Min(0)
    itemCount!: number;

    @IsNumber({ maxDecimalPlaces: 2 })
    @Min(0)
    totalAmount!: number;

    @IsIn(['USD'])
    currency!: string;

    @IsIn(['web', 'phone', 'mail'])
    channel!: string;
  }
  if (personal) PersonalData()(OrderPlacedPayload.prototype, 'externalCustomerId');
  return OrderPlacedPayload;
};

export const OrderPlaced = defineEvent({ type: 'OrderPlaced', payload: orderPlacedPayload(false) });
export const benchCatalogue = (): EventCatalogue => new EventCatalogue([OrderPlaced]);

/** The same event where the customer's id in the source system is personal data: sealed. */
const SealedOrderPlaced = defineEvent({ type: 'OrderPlaced', payload: orderPlacedPayload(true) });
export const sealedBenchCatalogue = (): EventCatalogue => new EventCatalogue([SealedOrderPlaced]);

// Type aliases (not interfaces), so that they also fit the peer's `Record<string, unknown>` payloads.
export type OrderPlacedData = {
  orderId: string;
  customerId: string;
  externalCustomerId: string;
  placedAt: string;
  itemCount: number;
  totalAmount: number;
  currency: string;
  channel: string;
};

export type OrderMetadata = {
  correlationId: string;
  actor: string;
  source: string;
  occurredAt: string;
};

/** The same event for every contender: ours, the plain-table limit and the peer. */
export type OrderEvent = {
  type: 'OrderPlaced';
  data: OrderPlacedData;
  metadata: OrderMetadata;
};

/** Events for one stream, appended by one writer. */
export interface StreamWork {
  streamId: StreamId;
  events: OrderEvent[];
}

const customerIds = new Map<string, string>();

export const orderEvent = (t: CdnowTransaction): OrderEvent => {
  let customerId = customerIds.get(t.customer);
  if (customerId === undefined) {
    customerId = customerUuid(t.customer);
    customerIds.set(t.customer, customerId);
  }
  const placedAt = `${t.date}T12:00:00Z`;
  return {
    type: 'OrderPlaced',
    data: {
      orderId: randomUUID(),
      customerId,
      externalCustomerId: t.customer,
      placedAt,
      itemCount: t.cds,
      totalAmount: t.dollars,
      currency: 'USD',
      channel: 'web',
    },
    metadata: { correlationId: randomUUID(), actor: 'bench', source: 'cdnow', occurredAt: placedAt },
  };
};

/**
 * Hands out the CDNOW purchases in file order (by customer, then date), starting over at the
 * end, so that each phase of a run gets its own slice and every contender the same one.
 */
export class CdnowOrders {
  private next = 0;

  constructor(private readonly transactions: readonly CdnowTransaction[] = loadCdnow()) {
    if (transactions.length === 0) throw new Error('the CDNOW data set is empty');
  }

  /**
   * One stream per customer holding that customer's purchases (1 to a few dozen), until
   * `events` purchases are handed out: the single-append workload.
   */
  customerStreams(events: number): StreamWork[] {
    const streams: StreamWork[] = [];
    let left = events;
    while (left > 0) {
      const first = this.take();
      const streamEvents: OrderEvent[] = [orderEvent(first)];
      left--;
      while (left > 0 && this.peek().customer === first.customer && this.next !== 0) {
        streamEvents.push(orderEvent(this.take()));
        left--;
      }
      streams.push({ streamId: streamId('order'), events: streamEvents });
    }
    return streams;
  }

  /** `events` purchases cut into batches of `batchSize`, one new stream per batch: the batch workload. */
  batches(events: number, batchSize: number): StreamWork[] {
    const batches: StreamWork[] = [];
    for (let left = events; left > 0; left -= batchSize) {
      const size = Math.min(batchSize, left);
      batches.push({ streamId: streamId('order'), events: Array.from({ length: size }, () => orderEvent(this.take())) });
    }
    return batches;
  }

  /**
   * `events` purchases, one new stream each, cut into calls of `streamsPerCall` streams: the
   * workload of identity resolution, which turns an ingest batch into events for many streams.
   */
  multiStreamCalls(events: number, streamsPerCall: number): StreamWork[][] {
    const calls: StreamWork[][] = [];
    for (let left = events; left > 0; left -= streamsPerCall) {
      const size = Math.min(streamsPerCall, left);
      calls.push(Array.from({ length: size }, () => ({ streamId: streamId('order'), events: [orderEvent(this.take())] })));
    }
    return calls;
  }

  private take(): CdnowTransaction {
    const t = this.transactions[this.next];
    this.next = (this.next + 1) % this.transactions.length;
    return t;
  }

  private peek(): CdnowTransaction {
    return this.transactions[this.next];
  }
}

export const countEvents = (work: readonly StreamWork[]): number => work.reduce((sum, w) => sum + w.events.length, 0);
