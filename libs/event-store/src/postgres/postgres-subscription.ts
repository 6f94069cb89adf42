import type { Position, RecordedEvent } from '@clientela/contracts';
import { backoffDelay, DEFAULT_BACKOFF, sleep, type BackoffPolicy } from '@clientela/postgres';
import type { Subscription, SubscriptionPage } from '../port/event-store';
import type { InternalPage } from './postgres-event-store';

export interface SubscriptionDriver {
  read(fromPosition: Position): Promise<InternalPage>;
  notificationGeneration(): number;
  waitForNotification(sinceGeneration: number, timeoutMs: number): Promise<void>;
  wake(): void;
  isTransient(error: unknown): boolean;
  onTransientError(error: unknown): void;
  fromPosition: Position;
  idlePollMs: number;
  onClosed(subscription: PostgresSubscription): void;
}

/** While an older transaction holds committed events back: short, growing looks until it ends. */
const HELD_BACK: BackoffPolicy = { initialMs: 2, maxMs: 100, factor: 2, jitter: 0 };

/**
 * Pages through all events from a position, then waits: for a NOTIFY when it is at the
 * end, briefly and repeatedly while an older transaction holds committed events back, and
 * with a capped backoff while the database is unreachable. It never skips: it only moves
 * past positions the store says are complete.
 */
export class PostgresSubscription implements Subscription {
  private closed = false;
  private position: Position;
  /** Ends a pause at once when the subscription is closed. */
  private readonly closing = new AbortController();

  constructor(private readonly driver: SubscriptionDriver) {
    this.position = driver.fromPosition;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    for await (const page of this.pages()) yield* page.events;
  }

  async *pages(): AsyncGenerator<SubscriptionPage> {
    let failures = 0;
    let heldBackLooks = 0;
    // While catching up, the next page is read while the consumer works on this one.
    let ahead: { page: Promise<InternalPage>; generation: number } | undefined;
    /** Whether the last page given said it was caught up: reaching the end is said once, even by an empty page. */
    let reportedCaughtUp = false;
    try {
      while (!this.closed) {
        let page: InternalPage;
        const generation = ahead?.generation ?? this.driver.notificationGeneration();
        try {
          page = await (ahead?.page ?? this.driver.read(this.position));
          ahead = undefined;
          failures = 0;
        } catch (error) {
          ahead = undefined;
          if (this.closed) return;
          if (!this.driver.isTransient(error)) throw error;
          this.driver.onTransientError(error);
          await sleep(backoffDelay(++failures, DEFAULT_BACKOFF), this.closing.signal);
          continue;
        }
        const moved = page.nextPosition !== this.position;
        this.position = page.nextPosition;
        if (this.closed) return;
        if (!page.isEnd) {
          const next = this.driver.read(this.position);
          next.catch(() => undefined); // a failure is seen when it is awaited, not as an unhandled rejection
          ahead = { page: next, generation: this.driver.notificationGeneration() };
        }
        // An empty last page still says "caught up" once (as the EventStoreDB adapter does): a store
        // whose events fill whole pages would otherwise never tell a reader that it has caught up.
        if (page.events.length > 0 || moved || page.isEnd !== reportedCaughtUp) {
          reportedCaughtUp = page.isEnd;
          yield { events: page.events, position: page.nextPosition, caughtUp: page.isEnd };
        }
        if (!page.isEnd) continue;
        if (page.heldBack) {
          await sleep(backoffDelay(++heldBackLooks, HELD_BACK), this.closing.signal);
          continue;
        }
        heldBackLooks = 0;
        await this.driver.waitForNotification(generation, this.driver.idlePollMs);
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.driver.wake();
    this.driver.onClosed(this);
  }
}
