import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { START, type Position } from '@clientela/contracts';
import type { EventFilter, EventStore, Subscription } from '@clientela/event-store';
import { withTransaction } from '@clientela/postgres';
import { silentLogger, type LogSink } from '@clientela/platform';
import { schemaOf, type Projection } from '../projection';
import type { PartitionOffsets, ProjectionSource } from '../kafka-source';
import { assertRegistrySchema, CHECKPOINT_CHANNEL, DEFAULT_REGISTRY_SCHEMA } from '../registry';
import type { ProjectionMetrics } from '../projection-metrics';
import type { LocalProjectionWrites } from './local-writes';

export type ProjectionStatusName = 'standby' | 'starting' | 'live' | 'rebuilding' | 'stopped' | 'failed';

export interface ProjectionRunnerOptions {
  projection: Projection;
  store: EventStore;
  /** The read model database (in standalone mode, the same PostgreSQL as the store). */
  pool: Pool;
  /** Connection for the leadership lock; defaults to the pool's own settings. */
  connectionString?: string;
  registrySchema?: string;
  /** Told of each transaction and each change of leadership: what lets this process's caches trust their reads. */
  localWrites?: LocalProjectionWrites;
  /** Events per page read from the store, and per transaction once caught up. Default 2000. */
  batchSize?: number;
  /**
   * While catching up from the store (a first build, or a runner that was down), the changes of
   * consecutive pages are merged in memory and written in one transaction with the checkpoint once
   * they touch this many rows: a row that many events change is written once a window instead of
   * once a page. Default 100,000 (about 50 MB of heap for rows of eight columns); 0 writes page by page.
   */
  catchUpWindowRows?: number;
  /**
   * A window is also written once it has been open this long, so that a runner that stays a little
   * behind under load still moves its checkpoint (read-your-writes waits 5 s). Default 2000 ms.
   */
  catchUpWindowMs?: number;
  /** What to do with an event that keeps failing: park it in the dead letters and go on (default), or stop. */
  onPoisonEvent?: 'park' | 'stop';
  /** Attempts for a failing batch before it is searched for the poison event. Default 3. */
  maxAttempts?: number;
  retryDelayMs?: number;
  /** How often a standby tries to take over. Default 1000 ms. */
  takeoverIntervalMs?: number;
  logger?: LogSink;
  metrics?: ProjectionMetrics;
  /**
   * Where the live copy follows events from: the store (default), or Kafka through the messaging
   * consumer (group = the projection's name). Leadership, copies and rebuilds are the same in both.
   */
  source?: ProjectionSource;
  /**
   * How long a swap waits for transactions older than the rebuilt copy to end, so that a
   * REPEATABLE READ reader never sees part of it. Default 5000 ms; after that it swaps and warns.
   */
  swapSnapshotWaitMs?: number;
  /**
   * How long a swap waits for statements that have opened the live copy's tables to end, so that
   * none reads the old copy under a snapshot that sees the swap. Default 5000 ms; after that it
   * swaps and warns.
   */
  swapLockWaitMs?: number;
  /**
   * The personal fields of an event type (the catalogue's): a parked event keeps its data without
   * them, since the runner reads events opened and a copy would outlive the person's erasure.
   */
  personalFields?: (type: string) => readonly string[];
}

/** Events per transaction: the projections bench found 2,000 about 20% faster to catch up than 500. */
const DEFAULT_BATCH_SIZE = 2_000;

/** See catchUpWindowRows and catchUpWindowMs. */
export const DEFAULT_CATCH_UP_WINDOW_ROWS = 100_000;
export const DEFAULT_CATCH_UP_WINDOW_MS = 2_000;

/** What a read-model transaction announces once it has committed. */
export interface CommitAnnouncement {
  checkpoint?: Position;
}

/** Another runner wrote the checkpoint: this one is no longer in charge. */
export class LostLeadershipError extends Error {}

/** Runs work one at a time: the live loop and a rebuild's swap never overlap. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * What the parts of one runner share (leadership, following the store or Kafka, parking,
 * rebuild and swap): its names, its options, where it is, and the read model's transactions.
 */
export class RunnerState {
  readonly name: string;
  readonly schema: string;
  readonly registry: string;
  readonly instance = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly logger: LogSink;
  readonly mutex = new Mutex();
  readonly filter: EventFilter;
  running = false;
  private leading = false;
  position: Position = START;
  /** The live loop must start again from the registry (a swap moved it, or leadership went). */
  restartLive = false;
  /** Pages up to here are applied one by one, not merged into a window: a window that ended there failed. */
  unwindowedUntil: Position = START;
  status: ProjectionStatusName = 'stopped';
  subscription: Subscription | undefined;
  wakeWatermark: (() => void) | undefined;
  /** From Kafka: the end offsets read before the build now running, recorded by its swap. */
  kafkaOffsetsOfBuild: PartitionOffsets | undefined;
  rate = { since: Date.now(), events: 0, perSecond: 0 };
  private announcing = false;
  private nextAnnouncement: Position | undefined;

  constructor(readonly options: ProjectionRunnerOptions) {
    this.name = options.projection.name;
    this.schema = schemaOf(options.projection);
    this.registry = assertRegistrySchema(options.registrySchema ?? DEFAULT_REGISTRY_SCHEMA);
    this.logger = options.logger ?? silentLogger;
    this.filter = {
      eventTypes: options.projection.eventTypes,
      ...(options.projection.categories ? { categories: options.projection.categories } : {}),
    };
  }

  /** Whether this runner holds the projection's lease: the one that writes its read model. */
  get active(): boolean {
    return this.leading;
  }

  set active(active: boolean) {
    this.leading = active;
    this.options.localWrites?.led(this.name, active);
  }

  get pool(): Pool {
    return this.options.pool;
  }

  get projection(): Projection {
    return this.options.projection;
  }

  get followsStore(): boolean {
    return (this.options.source?.kind ?? 'store') === 'store';
  }

  /** One page of the projection's events from the store. */
  readPage(fromPosition: Position) {
    return this.options.store.readAll({ fromPosition, maxCount: this.options.batchSize ?? DEFAULT_BATCH_SIZE, filter: this.filter });
  }

  subscribe(fromPosition: Position): Subscription {
    return this.options.store.subscribeToAll({ fromPosition, filter: this.filter, batchSize: this.options.batchSize ?? DEFAULT_BATCH_SIZE });
  }

  countApplied(events: number): void {
    const now = Date.now();
    this.rate.events += events;
    const elapsed = (now - this.rate.since) / 1000;
    if (elapsed >= 1) {
      this.rate.perSecond = this.rate.events / elapsed;
      this.rate = { since: now, events: 0, perSecond: this.rate.perSecond };
    }
    this.options.metrics?.eventsApplied.inc({ projection: this.name }, events);
  }

  /** A transaction of the read model; a checkpoint it moved is announced once it has committed. */
  async transaction<T>(work: (client: PoolClient, commit: CommitAnnouncement) => Promise<T>): Promise<T> {
    const commit: CommitAnnouncement = {};
    const localWrites = this.options.localWrites;
    localWrites?.moved(this.name);
    let result: T;
    try {
      result = await withTransaction(this.options.pool, (client) => work(client, commit));
    } finally {
      localWrites?.moved(this.name);
    }
    if (commit.checkpoint !== undefined) this.announce(commit.checkpoint);
    return result;
  }

  /**
   * NOTIFY after commit, in a statement of its own: a transaction that notifies holds a
   * database-wide lock until it has committed, which would make every projection's batches
   * commit one at a time. At most one in flight; the newest position wins.
   */
  private announce(position: Position): void {
    if (this.announcing) {
      this.nextAnnouncement = position;
      return;
    }
    this.announcing = true;
    void this.options.pool
      // Its commit need not wait for a WAL flush: a notification is not durable, the checkpoint was flushed by its own commit.
      .query("select set_config('synchronous_commit', 'off', true), pg_notify($1, $2)", [CHECKPOINT_CHANNEL, `${this.name}:${position.toString()}`])
      .catch((error: unknown) => this.logger.warn('could not announce the checkpoint', { projection: this.name, error: String(error) }))
      .finally(() => {
        this.announcing = false;
        const next = this.nextAnnouncement;
        this.nextAnnouncement = undefined;
        if (next !== undefined) this.announce(next);
      });
  }
}
