import type { Pool, PoolClient } from 'pg';
import { formatPosition, parsePosition, START, type Position } from '@clientela/contracts';
import type { EventFilter, EventStore, Subscription } from '@clientela/event-store';
import { backoffDelay, DEFAULT_BACKOFF, sleep } from '@clientela/postgres';
import { isConnectionError } from '../errors';
import { AdvisoryLease } from '../lease';
import { eventHeaders } from '../headers';
import type { TableDeadLetters } from '../dead-letters/table-dead-letters';
import { errorMessage, silentLogger, type LogSink } from '@clientela/platform';
import type { IncomingMessage } from '../message';
import { messagingMetrics, type MessagingMetrics } from '../metrics';
import { assertSchemaName } from '@clientela/postgres';
import type { MessageProcessor } from './message-processor';

export interface StoreEventConsumerOptions<T> {
  store: EventStore;
  pool: Pool;
  processor: MessageProcessor<T>;
  deadLetters: TableDeadLetters;
  filter?: EventFilter;
  /** Events per read and per transaction. Default 500. */
  batchSize?: number;
  /** How often re-drive requests are looked for. Default 1000 ms. */
  redrivePollMs?: number;
  /** How often a standby instance (another holds the lease of this name) tries to take over. Default 1000 ms. */
  takeoverIntervalMs?: number;
  /**
   * Events as stored, not upcast by the store: the processor's decoder upcasts and checks them, so an
   * event it cannot read is dead-lettered instead of failing the whole page. Give it with a catalogue.
   */
  raw?: boolean;
  schema?: string;
  metrics?: MessagingMetrics;
  logger?: LogSink;
}

/**
 * Standalone mode: the same processor, fed by an event-store subscription instead of Kafka. Its
 * checkpoint moves in the transaction of each batch; dead letters go to the dead_letters table,
 * and re-drive requests made there (from any process) are picked up here.
 */
export class StoreEventConsumer<T> {
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private redriveTimer: NodeJS.Timeout | undefined;
  private busy: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly schema: string;
  private readonly metrics: MessagingMetrics;
  private readonly logger: LogSink;
  private failure: unknown;
  private readonly abort = new AbortController();
  private readonly lease: AdvisoryLease;

  constructor(private readonly options: StoreEventConsumerOptions<T>) {
    this.schema = assertSchemaName(options.schema ?? 'messaging');
    this.metrics = options.metrics ?? messagingMetrics();
    this.logger = options.logger ?? silentLogger;
    // Two instances of one name would handle the same events at once: one leads, the other stands by.
    this.lease = new AdvisoryLease(options.pool, `clientela.consumer.${this.name}`, () => {
      this.logger.warn('standalone consumer lost its lease; standing by', { consumer: this.name });
      void this.subscription?.close();
    });
  }

  /** True while this instance holds the lease of its name and consumes. */
  get isLeading(): boolean {
    return this.lease.held;
  }

  get name(): string {
    return this.options.processor.consumer;
  }

  /** The last error (not a lost database) that made the consumer start again from its checkpoint; it never stops on one. */
  get error(): unknown {
    return this.failure;
  }

  async start(): Promise<void> {
    await this.retrying(() => this.loadCheckpoint());
    await this.tryLead();
    this.running = this.lead();
    this.redriveTimer = setInterval(() => {
      if (this.lease.held) void this.exclusive(() => this.redriveRequested());
    }, this.options.redrivePollMs ?? 1_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    clearInterval(this.redriveTimer);
    await this.subscription?.close();
    await this.running;
    await this.busy;
    await this.lease.release();
  }

  private async tryLead(): Promise<boolean> {
    try {
      if (!(await this.lease.tryAcquire())) return false;
    } catch (error) {
      this.options.processor.health.down(errorMessage(error));
      return false;
    }
    this.logger.info('standalone consumer leads', { consumer: this.name });
    return true;
  }

  /**
   * Consumes while it holds the lease, stands by while another instance does. An error that is not a
   * lost database (the processor dead-letters what it can, so this is rare) is logged and retried with
   * backoff from the checkpoint: it never stops the consumer for good.
   */
  private async lead(): Promise<void> {
    for (let failures = 0; !this.stopped; ) {
      if (!this.lease.held && !(await this.tryLead())) {
        await sleep(this.options.takeoverIntervalMs ?? 1_000, this.abort.signal);
        continue;
      }
      try {
        await this.consumeResubscribing();
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        this.failure = error;
        this.logger.error('standalone consumer failed; retrying from its checkpoint', { consumer: this.name, error: errorMessage(error) });
        await this.subscription?.close().catch(() => undefined);
        await sleep(backoffDelay(++failures, DEFAULT_BACKOFF), this.abort.signal);
      }
    }
  }

  /** A subscription that gives up on a lost database is opened again from the stored checkpoint. */
  private async consumeResubscribing(): Promise<void> {
    for (let attempt = 1; !this.stopped && this.lease.held; attempt++) {
      try {
        const from = await this.loadCheckpoint();
        this.subscription = this.options.store.subscribeToAll({
          fromPosition: from,
          filter: this.options.filter,
          batchSize: this.options.batchSize ?? 500,
          raw: this.options.raw,
        });
        await this.consume(this.subscription);
        return;
      } catch (error) {
        if (this.stopped || !isConnectionError(error)) throw error;
        this.options.processor.health.down(errorMessage(error));
        await this.subscription?.close().catch(() => undefined);
        await sleep(backoffDelay(attempt, DEFAULT_BACKOFF), this.abort.signal);
      }
    }
  }

  private async consume(subscription: Subscription): Promise<void> {
    for await (const page of subscription.pages()) {
      if (this.stopped || !this.lease.held) return;
      const messages: IncomingMessage[] = page.events.map((event) => ({
        origin: { kind: 'store', position: formatPosition(event.position) },
        key: event.streamId,
        headers: eventHeaders(event),
        value: '',
        event,
      }));
      await this.exclusive(() =>
        this.options.processor.processUntilDone(messages, {
          finalize: (tx) => this.saveCheckpoint(tx, page.position),
          isRunning: () => !this.stopped,
        }),
      );
      const last = page.events[page.events.length - 1];
      this.metrics.storeLagSeconds.set({ consumer: this.name }, page.caughtUp || !last ? 0 : Math.max(0, (Date.now() - last.recordedAt.getTime()) / 1000));
    }
  }

  /** Handles again the dead letters someone asked to re-drive; closes those that now pass. */
  private async redriveRequested(): Promise<void> {
    if (this.stopped) return;
    const { deadLetters, processor } = this.options;
    let requested;
    try {
      requested = await deadLetters.requested(this.name);
    } catch (error) {
      this.logger.debug('cannot look for re-drive requests', { consumer: this.name, error: errorMessage(error) });
      return;
    }
    for (const letter of requested) {
      const message: IncomingMessage = { origin: letter.origin, key: letter.key, headers: letter.headers, value: letter.value };
      const [outcome] = await processor.processUntilDone([message], { isRunning: () => !this.stopped }).catch(() => ['failed']);
      if (outcome === 'handled' || outcome === 'duplicate' || outcome === 'ignored') await deadLetters.markRedriven(letter.id).catch(() => undefined);
    }
  }

  /** Runs one piece of work at a time: pages and re-drives never overlap. */
  private exclusive<R>(work: () => Promise<R>): Promise<R> {
    const next = this.busy.then(work, work);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private async loadCheckpoint(): Promise<Position> {
    const { rows } = await this.options.pool.query<{ position: string }>(`select position from ${this.schema}.checkpoints where name = $1`, [
      this.checkpointName(),
    ]);
    return rows[0] ? parsePosition(rows[0].position) : START;
  }

  private async saveCheckpoint(tx: PoolClient, position: Position): Promise<void> {
    await tx.query(
      `insert into ${this.schema}.checkpoints (name, position) values ($1, $2)
       on conflict (name) do update set position = excluded.position, updated_at = now()`,
      [this.checkpointName(), formatPosition(position)],
    );
  }

  private checkpointName(): string {
    return `consumer:${this.name}`;
  }

  private async retrying<R>(work: () => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (this.stopped || attempt >= 30) throw error;
        this.logger.warn('standalone consumer cannot start yet; retrying', { consumer: this.name, error: errorMessage(error) });
        await sleep(Math.min(5_000, 100 * 2 ** attempt));
      }
    }
  }
}
