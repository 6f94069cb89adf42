import type { AllStreamResolvedEvent, AllStreamSubscription } from '@eventstore/db-client';
import type { Position, RecordedEvent } from '@clientela/contracts';
import { backoffDelay, sleep } from '@clientela/postgres';
import type { Subscription, SubscriptionPage } from '../port/event-store';
import { isResubscribable, toPortError } from './errors';

export interface ResubscribePolicy {
  /** How many times in a row a dropped subscription is reopened before the iteration throws. */
  attempts: number;
  /** Delay before the first reopening; it doubles each time, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/** About two minutes of reopening in all: longer than a leader election or a node restart takes. */
export const DEFAULT_RESUBSCRIBE: ResubscribePolicy = { attempts: 30, initialDelayMs: 200, maxDelayMs: 5_000 };

/** How the subscription reaches the server; the adapter fills it in, tests give fakes. */
export interface AllSubscriptionOptions {
  /** Exclusive: the first event delivered is the first one after it. */
  fromPosition: Position;
  /** Most items (events and checkpoints) per page, and the buffer size at which the server stream is paused. */
  batchSize: number;
  resubscribe: ResubscribePolicy;
  /**
   * Opens the server subscription after a position (exclusive). `onCheckpoint` must be given
   * to the server filter's `checkpointReached`: it reports how far the server has searched.
   * It must be called from within the stream's transform (the client's `checkpointReached`
   * is), so that the checkpoint stays after the events the server sent before it.
   */
  open(fromPosition: Position, onCheckpoint: (position: Position) => void): AllStreamSubscription;
  /** The packed position of a received event, or undefined for a message without an event. */
  positionOf(resolved: AllStreamResolvedEvent): Position | undefined;
  /** The port event to deliver, or undefined to skip it (system, foreign, filtered out). May throw. */
  convert(resolved: AllStreamResolvedEvent): RecordedEvent | undefined;
  /** Turns a page's converted events into what is delivered (opens personal data, upcasts). May throw. */
  decode?(events: RecordedEvent[]): Promise<RecordedEvent[]>;
  /**
   * The head of `$all` when the subscription (re)opens: once it has seen that far it is live.
   * Servers from 23.10 also say so themselves ("caughtUp"); this covers older ones.
   */
  head?(): Promise<Position>;
  /** Called once when the subscription is closed, whatever closed it. */
  onClose?(): void;
}

type Item =
  | { kind: 'event'; resolved: AllStreamResolvedEvent; position: Position }
  | { kind: 'checkpoint'; position: Position }
  /** `opening`: which server stream said it; a reopened one starts catching up again. */
  | { kind: 'live'; live: boolean; opening: number };

/**
 * What the adapter pushes into the client's stream for a checkpoint or a caught-up signal.
 * The client reports both from inside its transform, while earlier events may still wait in
 * the stream's output buffer (the stream is paused for backpressure); pushed there, the marker
 * comes out after those events, in the server's order.
 */
class StreamMarker {
  constructor(readonly item: Exclude<Item, { kind: 'event' }>) {}
}

interface Waiter {
  resolve(value: Item | undefined): void;
  reject(error: unknown): void;
}

/** The server closed the subscription's stream without an error: it is reopened like a dropped connection. */
export class SubscriptionEndedError extends Error {
  constructor() {
    super('EventStoreDB ended the subscription');
    this.name = 'SubscriptionEndedError';
  }
}


/**
 * The port's Subscription over EventStoreDB's catch-up subscription to `$all`. It keeps its own
 * small buffer of events and server checkpoints, so that close() ends a waiting iteration at
 * once, a full buffer pauses the server stream (backpressure), pages carry the server's
 * checkpoint past filtered-out events, and a dropped connection is reopened from the last
 * event or checkpoint received, without skipping or repeating an event.
 */
export class EventStoreDbAllSubscription implements Subscription {
  private source: AllStreamSubscription | undefined;
  private readonly buffer: Item[] = [];
  private waiter: Waiter | undefined;
  private failure: { error: unknown } | undefined;
  /** The last event or checkpoint received: everything up to it has been seen. */
  private lastReceived: Position;
  /** The last position handed out in a page. */
  private delivered: Position;
  /** What the last page said about being live. */
  private reportedCaughtUp = false;
  private paused = false;
  private started = false;
  private failedAttempts = 0;
  private reopening = false;
  private serverLive = false;
  /** How many times the server stream was opened. */
  private openings = 0;
  private liveAt: Position | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: AllSubscriptionOptions) {
    this.lastReceived = options.fromPosition;
    this.delivered = options.fromPosition;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    for await (const page of this.pages()) yield* page.events;
  }

  async *pages(): AsyncGenerator<SubscriptionPage> {
    if (this.started) throw new Error('a subscription can be iterated only once');
    this.started = true;
    try {
      if (this.closed) return;
      this.openSource();
      for (;;) {
        const first = await this.take();
        if (first === undefined) return;
        const items = [first];
        while (items.length < this.options.batchSize) {
          const next = this.takeBuffered();
          if (next === undefined) break;
          items.push(next);
        }
        let events: RecordedEvent[] = [];
        let position = this.delivered;
        for (const item of items) {
          if (item.kind === 'live') {
            if (item.opening === this.openings) this.serverLive = item.live;
            continue;
          }
          if (item.kind === 'event') {
            const event = this.options.convert(item.resolved);
            if (event !== undefined) events.push(event);
          }
          if (item.position > position) position = item.position;
        }
        if (this.options.decode && events.length > 0) events = await this.options.decode(events);
        const caughtUp = this.isCaughtUp();
        // An empty page says something only when the position moved or the subscription became
        // live: on an idle store "caught up" is the only news, and a consumer may be waiting for it.
        if (events.length === 0 && position === this.delivered && caughtUp === this.reportedCaughtUp) continue;
        this.delivered = position;
        this.reportedCaughtUp = caughtUp;
        yield { events, position, caughtUp };
      }
    } finally {
      await this.close();
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const source = this.source;
    this.source = undefined;
    this.buffer.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(undefined);
    try {
      if (source) await this.release(source);
    } finally {
      this.options.onClose?.();
    }
  }

  private isCaughtUp(): boolean {
    if (this.buffer.length > 0 || (this.source?.readableLength ?? 0) > 0) return false;
    return this.serverLive || (this.liveAt !== undefined && this.lastReceived >= this.liveAt);
  }

  private openSource(): void {
    this.serverLive = false;
    this.liveAt = undefined;
    const opening = ++this.openings;
    // Called by the stream's own transform, so never before `source` is assigned.
    const mark = (item: Exclude<Item, { kind: 'event' }>): void => {
      source.push(new StreamMarker(item));
    };
    const source: AllStreamSubscription = this.options.open(this.lastReceived, (position) => mark({ kind: 'checkpoint', position }));
    const current = (): boolean => this.source === source;
    this.source = source;
    this.paused = false;
    source.on('data', (resolved: AllStreamResolvedEvent | StreamMarker) => {
      if (!current()) return;
      if (resolved instanceof StreamMarker) {
        this.receive(resolved.item);
        return;
      }
      const position = this.options.positionOf(resolved);
      if (position !== undefined) this.receive({ kind: 'event', resolved, position });
    });
    source.on('error', (error: Error) => {
      if (current()) this.dropped(source, error);
    });
    source.on('end', () => {
      if (current()) this.dropped(source, new SubscriptionEndedError());
    });
    // Emitted from inside the transform too: in order only as markers.
    source.on('caughtUp', () => {
      if (current()) mark({ kind: 'live', live: true, opening });
    });
    source.on('fellBehind', () => {
      if (current()) mark({ kind: 'live', live: false, opening });
    });
    this.options.head?.().then(
      (head) => {
        if (current()) this.liveAt = head;
      },
      () => undefined, // no head, no early "live": the server's caughtUp still comes
    );
  }

  private async release(source: AllStreamSubscription): Promise<void> {
    // The other listeners stay and ignore a released stream, so a late error cannot crash the process.
    source.removeAllListeners('data');
    try {
      await source.unsubscribe();
    } catch {
      // the stream is gone either way
    }
  }

  private receive(item: Item): void {
    if (item.kind !== 'live') {
      // Exclusive start, and no repeat after a reopening: anything at or before what was received is skipped.
      if (item.position <= this.lastReceived) return;
      this.lastReceived = item.position;
      this.failedAttempts = 0;
    }
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve(item);
      return;
    }
    this.buffer.push(item);
    if (!this.paused && this.buffer.length >= this.options.batchSize) {
      this.paused = true;
      this.source?.pause();
    }
  }

  private takeBuffered(): Item | undefined {
    const next = this.buffer.shift();
    if (next !== undefined && this.paused && this.buffer.length <= this.options.batchSize / 2) {
      this.paused = false;
      this.source?.resume();
    }
    return next;
  }

  private take(): Promise<Item | undefined> {
    const next = this.takeBuffered();
    if (next !== undefined) return Promise.resolve(next);
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private fail(error: unknown): void {
    this.failure = { error };
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  private dropped(source: AllStreamSubscription, error: unknown): void {
    if (this.closed || this.reopening) return;
    this.source = undefined;
    void this.release(source);
    const policy = this.options.resubscribe;
    const transient = isResubscribable(error) || error instanceof SubscriptionEndedError;
    if (!transient || this.failedAttempts >= policy.attempts) {
      this.fail(toPortError(error));
      return;
    }
    this.failedAttempts++;
    const wait = backoffDelay(this.failedAttempts, { initialMs: policy.initialDelayMs, maxMs: policy.maxDelayMs, factor: 2, jitter: 0 });
    this.reopening = true;
    void sleep(wait, undefined, { unref: true }).then(() => {
      this.reopening = false;
      if (this.closed) return;
      try {
        this.openSource();
      } catch (reopenError) {
        this.dropped(source, reopenError);
      }
    });
  }
}
