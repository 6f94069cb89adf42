import type { Pool, PoolClient } from 'pg';
import { isClientelaError, ValidationError } from '@clientela/contracts';
import { backoffDelay, DEFAULT_BACKOFF, sleep, type BackoffPolicy } from '@clientela/postgres';
import { originKey, type DeadLetterSink } from '../dead-letters/dead-letter';
import { isConnectionError, MessagingUnavailableError, PoisonMessageError } from '../errors';
import { HealthTracker, type ComponentHealth } from '../health';
import { errorMessage, silentLogger, type LogSink } from '@clientela/platform';
import { EventHeaders } from '../headers';
import type { DecodedMessage, IncomingMessage, MessageDecoder } from '../message';
import { messagingMetrics, type MessagingMetrics } from '../metrics';
import { assertSchemaName, withTransaction } from '@clientela/postgres';

export interface HandlerContext {
  /** The transaction the effect belongs in; it also records the message as handled. */
  tx: PoolClient;
  consumer: string;
  message: IncomingMessage;
  /** 1 on the first try. */
  attempt: number;
}

export type MessageHandler<T> = (payload: T, context: HandlerContext) => Promise<void> | void;

/** A batch's new, decoded messages, in delivery order. */
export type BatchItems<T> = ReadonlyArray<{ payload: T; message: IncomingMessage }>;

export interface BatchHandlerContext {
  /** The transaction the effects belong in; it also records the messages as handled. */
  tx: PoolClient;
  consumer: string;
  /** 1 on the batch's own try; in the one-by-one fallback, the attempt of the single item. */
  attempt: number;
}

/**
 * Applies a whole batch at once (one statement per table, say) instead of a call per message. It gets
 * every new, decoded message of the batch, whatever its type: it passes over those it does not want.
 * When it throws, the batch falls back to one message at a time, each given to it alone.
 */
export type BatchHandler<T> = (items: BatchItems<T>, context: BatchHandlerContext) => Promise<void> | void;

export interface RetryPolicy {
  /** Tries of a failing handler before its message is dead-lettered (1 = no retry). */
  maxAttempts: number;
  backoff: BackoffPolicy;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, backoff: DEFAULT_BACKOFF };

export interface MessageProcessorOptions<T> {
  /** The consumer's name: its idempotency record and dead letters are kept under it. */
  consumer: string;
  pool: Pool;
  decoder: MessageDecoder<T>;
  /** The handlers of a type (none: the message is passed over). Either this or `batchHandler`. */
  handlersFor?: (type: string) => readonly MessageHandler<T>[];
  /** One call per batch with all its new messages. Either this or `handlersFor`. */
  batchHandler?: BatchHandler<T>;
  /** The types the batch handler takes (default: every type); others are passed over, as a type with no handler. */
  batchTypes?: readonly string[];
  deadLetters: DeadLetterSink;
  retry?: Partial<RetryPolicy>;
  schema?: string;
  metrics?: MessagingMetrics;
  logger?: LogSink;
  /** Ends sleeps early when the consumer stops. */
  signal?: AbortSignal;
  /** Told, after each commit, what it handled (benchmarks measure latency to the read model with it). */
  afterCommit?: (handled: readonly T[]) => void;
}

export type Outcome = 'handled' | 'duplicate' | 'ignored' | 'dead_lettered';

interface Item<T> {
  message: IncomingMessage;
  /** Absent when decoding dead-lettered it, or its type header said it is not this consumer's. */
  decoded?: DecodedMessage<T>;
}

/**
 * Handles batches of messages exactly once in effect. A batch runs in one PostgreSQL transaction
 * that also records every handled key; keys recorded before are skipped, so redelivery has no
 * second effect. When a handler throws, the batch is rolled back and its messages go one by one,
 * each retried with backoff and dead-lettered when it keeps failing. A lost database is not the
 * messages' fault: process() then throws MessagingUnavailableError and the caller retries it all.
 */
export class MessageProcessor<T> {
  readonly consumer: string;
  private readonly schema: string;
  private readonly retry: RetryPolicy;
  private readonly metrics: MessagingMetrics;
  private readonly logger: LogSink;
  /** Whether a type is this consumer's: a batch type, or a type with handlers. */
  private readonly takes: (type: string) => boolean;
  readonly health: HealthTracker;

  constructor(private readonly options: MessageProcessorOptions<T>) {
    if (options.handlersFor && options.batchHandler) {
      throw new TypeError(`consumer ${options.consumer}: give either per-type handlers or a batch handler, not both`);
    }
    if (!options.handlersFor && !options.batchHandler) throw new TypeError(`consumer ${options.consumer}: no handlers and no batch handler`);
    this.consumer = options.consumer;
    this.schema = assertSchemaName(options.schema ?? 'messaging');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.metrics = options.metrics ?? messagingMetrics();
    this.logger = options.logger ?? silentLogger;
    const batchTypes = options.batchTypes && new Set(options.batchTypes);
    const handlersFor = options.handlersFor;
    this.takes = handlersFor ? (type) => handlersFor(type).length > 0 : (type) => !batchTypes || batchTypes.has(type);
    this.health = new HealthTracker(`consumer ${this.consumer}`, (health) => {
      this.metrics.up.set({ component: this.consumer, dependency: 'postgres' }, health.status === 'up' ? 1 : 0);
      if (health.status === 'down') this.logger.error('consumer cannot reach PostgreSQL; retrying', { consumer: this.consumer, error: health.error });
      else this.logger.info('consumer reaches PostgreSQL again', { consumer: this.consumer });
    });
  }

  healthStatus(): ComponentHealth {
    return this.health.current();
  }

  /**
   * Processes a batch, retrying while PostgreSQL is unreachable, until done or `isRunning()` says stop
   * (then it throws MessagingUnavailableError and nothing of the unfinished work is committed).
   * `finalize` runs in the batch's last transaction (a standalone consumer moves its checkpoint there).
   */
  async processUntilDone(
    messages: readonly IncomingMessage[],
    options: { finalize?: (tx: PoolClient) => Promise<void>; isRunning?: () => boolean; whileWaiting?: () => Promise<void> } = {},
  ): Promise<Outcome[]> {
    for (let failures = 0; ; ) {
      try {
        const outcomes = await this.process(messages, options.finalize);
        this.health.up();
        return outcomes;
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        this.health.down(errorMessage(error));
        if (options.isRunning && !options.isRunning()) throw error;
        if (this.options.signal?.aborted) throw error;
        await sleep(backoffDelay(++failures, { ...this.retry.backoff, maxMs: Math.max(this.retry.backoff.maxMs, 1_000) }), this.options.signal);
        await options.whileWaiting?.().catch(() => undefined);
      }
    }
  }

  /** One attempt at the batch; see the class comment. */
  async process(messages: readonly IncomingMessage[], finalize?: (tx: PoolClient) => Promise<void>): Promise<Outcome[]> {
    const timer = this.metrics.batchSeconds.startTimer({ consumer: this.consumer });
    const outcomes: Outcome[] = new Array<Outcome>(messages.length).fill('ignored');
    const items: Item<T>[] = [];
    for (const [index, message] of messages.entries()) {
      // A relayed event names its type in a header: one this consumer does not take is passed over
      // unparsed and unopened. Every consumer of a topic gets every event on it; each projection takes
      // a few of their types, and opening one reads its person's key and decrypts it.
      const type = message.headers[EventHeaders.type];
      if (type !== undefined && !this.takes(type)) {
        items.push({ message });
        continue;
      }
      try {
        items.push({ message, decoded: await this.options.decoder(message) });
      } catch (error) {
        // A lost connection (opening personal data reads keys) is retried with the whole batch.
        if (isConnectionError(error)) throw error;
        // Otherwise decoding is pure: a decoder that throws will throw again, whatever it threw.
        await this.deadLetter(message, undefined, error instanceof ValidationError ? error : new PoisonMessageError('undecodable_message', errorMessage(error)), 1);
        outcomes[index] = 'dead_lettered';
        items.push({ message });
      }
    }
    try {
      let failed: { failedAt: number; error: unknown } | undefined;
      let fast: Array<Outcome | undefined> | undefined;
      try {
        fast = await this.transaction(async (tx) => {
          const result = await this.applyAll(items, tx, 1);
          if (!Array.isArray(result)) {
            failed = result;
            return undefined;
          }
          await finalize?.(tx);
          return result;
        });
      } catch (error) {
        // Not a handler but the batch's own statements failed (a key PostgreSQL refuses, say): no
        // message is known to be at fault, so each goes alone and only the bad one is dead-lettered.
        if (isConnectionError(error)) throw error;
        this.logger.debug('batch failed; handling one by one', { consumer: this.consumer, error: errorMessage(error) });
        failed = { failedAt: -1, error };
      }
      if (fast) {
        for (const [index, outcome] of fast.entries()) if (outcome) outcomes[index] = outcome;
        this.options.afterCommit?.(items.flatMap((item, index) => (item.decoded && outcomes[index] === 'handled' ? [item.decoded.payload] : [])));
        this.count(items, outcomes);
        return outcomes;
      }
      // A handler threw: go one by one, so the others are not held back by it (a batch handler is
      // then called with one message at a time).
      for (const [index, item] of items.entries()) {
        // The message that failed in the batch has had its first attempt there.
        const tried = index === failed?.failedAt ? { attempts: 1, error: failed.error } : undefined;
        if (item.decoded) outcomes[index] = await this.processOne(item, tried);
      }
      if (finalize) await this.transaction(finalize);
      this.count(items, outcomes);
      return outcomes;
    } finally {
      timer();
    }
  }

  /** Handles one message with retries; dead-letters it when it keeps failing. */
  async processOne(
    item: { message: IncomingMessage; decoded?: DecodedMessage<T> },
    tried: { attempts: number; error: unknown } = { attempts: 0, error: undefined },
  ): Promise<Outcome> {
    if (!item.decoded) return 'dead_lettered';
    if (tried.attempts > 0 && !(await this.afterFailure(item, tried.attempts, tried.error))) return 'dead_lettered';
    for (let attempt = tried.attempts + 1; ; attempt++) {
      let failure: unknown;
      const result = await this.transaction(async (tx): Promise<Outcome | 'failed'> => {
        try {
          const outcomes = await this.applyAll([item], tx, attempt, true);
          if (!Array.isArray(outcomes)) throw new TypeError('applyAll rethrows one by one');
          return outcomes[0] ?? 'ignored';
        } catch (error) {
          if (isConnectionError(error)) throw error;
          failure = error;
          return 'failed';
        }
      });
      if (result === 'handled') this.options.afterCommit?.([item.decoded.payload]);
      if (result !== 'failed') return result;
      if (!(await this.afterFailure(item, attempt, failure))) return 'dead_lettered';
    }
  }

  /** After a failed attempt: dead-letters (false) or waits for the next attempt (true). */
  private async afterFailure(item: { message: IncomingMessage; decoded?: DecodedMessage<T> }, attempt: number, failure: unknown): Promise<boolean> {
    if (failure instanceof ValidationError || attempt >= this.retry.maxAttempts) {
      await this.deadLetter(item.message, item.decoded, failure, attempt);
      return false;
    }
    this.metrics.retries.inc({ consumer: this.consumer });
    this.logger.warn('handler failed; retrying', { consumer: this.consumer, key: item.decoded?.key, attempt, error: errorMessage(failure) });
    await sleep(backoffDelay(attempt, this.retry.backoff), this.options.signal);
    if (this.options.signal?.aborted) throw new MessagingUnavailableError('consumer stopping');
    return true;
  }

  /**
   * Runs the handlers of every new message in `tx` and records them. When a handler throws it returns
   * which message failed and why (the caller rolls back), unless `rethrow` asks for the error itself.
   */
  private async applyAll(
    items: readonly Item<T>[],
    tx: PoolClient,
    attempt: number,
    rethrow = false,
  ): Promise<Array<Outcome | undefined> | { failedAt: number; error: unknown }> {
    const batchHandler = this.options.batchHandler;
    if (batchHandler) return this.applyBatch(batchHandler, items, tx, attempt, rethrow);
    const handlersFor = this.options.handlersFor ?? (() => []);
    const keys = items.flatMap((item) => (item.decoded && handlersFor(item.decoded.type).length > 0 ? [item.decoded.key] : []));
    if (keys.length === 0) return items.map((item) => (item.decoded ? 'ignored' : undefined));
    const fresh = await this.record(tx, keys);
    const outcomes: Array<Outcome | undefined> = [];
    for (const item of items) {
      const decoded = item.decoded;
      if (!decoded) {
        outcomes.push(undefined);
        continue;
      }
      const handlers = handlersFor(decoded.type);
      if (handlers.length === 0) {
        outcomes.push('ignored');
        continue;
      }
      if (!fresh.delete(decoded.key)) {
        outcomes.push('duplicate');
        continue;
      }
      try {
        for (const handler of handlers) await handler(decoded.payload, { tx, consumer: this.consumer, message: item.message, attempt });
      } catch (error) {
        if (rethrow || isConnectionError(error)) throw error;
        this.logger.debug('handler failed in a batch; handling one by one', { consumer: this.consumer, key: decoded.key, error: errorMessage(error) });
        return { failedAt: outcomes.length, error };
      }
      outcomes.push('handled');
    }
    return outcomes;
  }

  /**
   * Records the keys as handled, in the batch's transaction, and returns those that were not yet:
   * one statement instead of a look-up before the handlers and an insert after them (a handler that
   * throws rolls the record back with its effects). Sorted, so that two members that briefly hold
   * the same messages (a rebalance) lock their keys in the same order: the second waits for the
   * first's commit and finds them recorded, instead of a deadlock.
   */
  private async record(tx: PoolClient, keys: string[]): Promise<Set<string>> {
    const { rows } = await tx.query<{ event_key: string }>(
      `insert into ${this.schema}.handled_events (consumer, event_key) select $1, unnest($2::text[])
       on conflict (consumer, event_key) do nothing returning event_key`,
      [this.consumer, [...keys].sort()],
    );
    return new Set(rows.map((row) => row.event_key));
  }

  /**
   * applyAll with a batch handler: every new decoded message goes to it in one call. When it throws,
   * no single message is known to be at fault (failedAt -1): each then has all its tries one by one.
   */
  private async applyBatch(
    batchHandler: BatchHandler<T>,
    items: readonly Item<T>[],
    tx: PoolClient,
    attempt: number,
    rethrow: boolean,
  ): Promise<Array<Outcome | undefined> | { failedAt: number; error: unknown }> {
    const takes = this.takes;
    const keys = items.flatMap((item) => (item.decoded && takes(item.decoded.type) ? [item.decoded.key] : []));
    if (keys.length === 0) return items.map((item) => (item.decoded ? 'ignored' : undefined));
    const unseen = await this.record(tx, keys);
    const fresh: Array<{ payload: T; message: IncomingMessage }> = [];
    const outcomes: Array<Outcome | undefined> = items.map((item) => {
      const decoded = item.decoded;
      if (!decoded) return undefined;
      if (!takes(decoded.type)) return 'ignored';
      // The first of a key in the batch is handled; a repeat of it is a duplicate.
      if (!unseen.delete(decoded.key)) return 'duplicate';
      fresh.push({ payload: decoded.payload, message: item.message });
      return 'handled';
    });
    if (fresh.length === 0) return outcomes;
    try {
      await batchHandler(fresh, { tx, consumer: this.consumer, attempt });
    } catch (error) {
      if (rethrow || isConnectionError(error)) throw error;
      this.logger.debug('batch handler failed; handling one by one', { consumer: this.consumer, size: fresh.length, error: errorMessage(error) });
      return { failedAt: -1, error };
    }
    return outcomes;
  }

  private async deadLetter(message: IncomingMessage, decoded: DecodedMessage<T> | undefined, error: unknown, attempts: number): Promise<void> {
    const code = error instanceof PoisonMessageError || isClientelaError(error) ? error.code : 'handler_failed';
    const reason = errorMessage(error);
    this.logger.warn('message dead-lettered', { consumer: this.consumer, code, reason, key: decoded?.key ?? originKey(message.origin) });
    try {
      await this.options.deadLetters.write({
        consumer: this.consumer,
        code,
        reason,
        attempts,
        failedAt: new Date(),
        eventKey: decoded?.key,
        eventType: decoded?.type ?? message.headers['clientela-type'],
        message,
      });
    } catch (writeError) {
      throw new MessagingUnavailableError(`cannot write a dead letter: ${errorMessage(writeError)}`, writeError);
    }
    this.metrics.deadLetters.inc({ consumer: this.consumer, code });
  }

  private count(items: readonly Item<T>[], outcomes: readonly Outcome[]): void {
    const byType = new Map<string, number>();
    items.forEach((item, index) => {
      if (outcomes[index] === 'handled' && item.decoded) byType.set(item.decoded.type, (byType.get(item.decoded.type) ?? 0) + 1);
    });
    for (const [type, count] of byType) this.metrics.handled.inc({ consumer: this.consumer, type }, count);
  }

  private async transaction<R>(work: (tx: PoolClient) => Promise<R>): Promise<R> {
    try {
      // A batch that failed, or work with nothing to record, leaves no trace.
      return await withTransaction(this.options.pool, work, { commitIf: (result) => result !== 'failed' && result !== undefined });
    } catch (error) {
      if (!isConnectionError(error) || error instanceof MessagingUnavailableError) throw error;
      throw new MessagingUnavailableError(`PostgreSQL failed: ${errorMessage(error)}`, error);
    }
  }
}
