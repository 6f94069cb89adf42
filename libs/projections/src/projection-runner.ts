import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { START, type Position, type RecordedEvent } from '@clientela/contracts';
import type { EventFilter, EventStore, Subscription } from '@clientela/event-store';
import { backoffDelay, DEFAULT_BACKOFF, isConnectionError, sleep, withTransaction } from '@clientela/postgres';
import type { Admin } from 'kafkajs';
import { AdvisoryLease, startKafkaConsumer, type RunningKafkaConsumer } from '@clientela/messaging';
import { silentLogger, type LogSink } from '@clientela/platform';
import { createIndexesSql, createTablesSql, schemaOf, type Projection } from './projection';
import {
  kafkaProjectionBatchHandler,
  kafkaRetentionGap,
  kafkaWatermark,
  topicEndOffsets,
  type KafkaProjectionSource,
  type PartitionOffsets,
  type ProjectionSource,
} from './kafka-source';
import { assertRegistrySchema, CHECKPOINT_CHANNEL, COMMAND_CHANNEL, DEFAULT_REGISTRY_SCHEMA, migrateRegistry } from './registry';
import { writeProjectionEvents } from './sql-writer';
import { waitForSnapshotsAfter } from './open-snapshots';
import type { ProjectionMetrics } from './projection-metrics';

export type ProjectionStatusName = 'standby' | 'starting' | 'live' | 'rebuilding' | 'stopped' | 'failed';

export interface ProjectionRunnerOptions {
  projection: Projection;
  store: EventStore;
  /** The read model database (in standalone mode, the same PostgreSQL as the store). */
  pool: Pool;
  /** Connection for the leadership lock; defaults to the pool's own settings. */
  connectionString?: string;
  registrySchema?: string;
  /** Events per transaction. Default 2000. */
  batchSize?: number;
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
}

/** Events per transaction: the projections bench found 2,000 about 20% faster to catch up than 500. */
const DEFAULT_BATCH_SIZE = 2_000;

/** Share of a rebuild done, from its first event to the head it started with; 1 when there is nothing to read. */
export const rebuildProgress = (first: Position, head: Position, position: Position): number =>
  head <= first ? 1 : Math.max(0, Math.min(1, Number(((position - first) * 1000n) / (head - first)) / 1000));

/** What a read-model transaction announces once it has committed. */
interface CommitAnnouncement {
  checkpoint?: Position;
}

/** The live copy's row in the registry, as a runner finds it when it becomes active. */
interface LiveCopyState {
  version: number;
  /** False until a copy that follows Kafka has had its first build from the store swapped in. */
  built: boolean;
  /** From Kafka: the topics' end offsets read before the build that was swapped in. */
  kafkaOffsets: PartitionOffsets | null;
}

/** Another runner wrote the checkpoint: this one is no longer in charge. */
class LostLeadershipError extends Error {}



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
 * Keeps one projection's read model up to date. Of all runners of a projection, one is
 * active (it holds a PostgreSQL advisory lock, and every batch also checks that the
 * checkpoint is still the one it wrote); the others wait and take over when it dies.
 * Each batch is applied in one transaction together with the checkpoint.
 */
export class ProjectionRunner {
  readonly name: string;
  readonly schema: string;
  private readonly registry: string;
  private readonly instance = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly logger: LogSink;
  private readonly mutex = new Mutex();
  private readonly filter: EventFilter;
  private readonly lease: AdvisoryLease;
  private subscription: Subscription | undefined;
  private running = false;
  private active = false;
  private position: Position = START;
  private loop: Promise<void> | undefined;
  private rebuildTask: Promise<void> | undefined;
  private restartLive = false;
  private statusName: ProjectionStatusName = 'stopped';
  private announcing = false;
  private nextAnnouncement: Position | undefined;
  private rate = { since: Date.now(), events: 0, perSecond: 0 };
  private wakeWatermark: (() => void) | undefined;
  /** From Kafka: the end offsets read before the build now running, recorded by its swap. */
  private kafkaOffsetsOfBuild: PartitionOffsets | undefined;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.name = options.projection.name;
    this.schema = schemaOf(options.projection);
    this.registry = assertRegistrySchema(options.registrySchema ?? DEFAULT_REGISTRY_SCHEMA);
    this.logger = options.logger ?? silentLogger;
    this.lease = new AdvisoryLease(options.pool, `clientela.projection.${this.name}`, () => this.lostLease(), options.connectionString);
    this.filter = {
      eventTypes: options.projection.eventTypes,
      ...(options.projection.categories ? { categories: options.projection.categories } : {}),
    };
  }

  get isActive(): boolean {
    return this.active;
  }

  get status(): ProjectionStatusName {
    return this.statusName;
  }

  get checkpoint(): Position {
    return this.position;
  }

  /** Starts the runner: it becomes active, or stands by until it can. Resolves once it knows which. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await migrateRegistry(this.options.pool, this.registry);
    await this.tryLead();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.subscription?.close();
    this.wakeWatermark?.();
    await this.loop?.catch(() => undefined);
    await this.rebuildTask?.catch(() => undefined);
    if (this.active) {
      await this.options.pool
        .query(`update ${this.registry}.state set status = 'stopped', owner = null, updated_at = now() where name = $1 and owner = $2`, [
          this.name,
          this.instance,
        ])
        .catch(() => undefined);
    }
    await this.releaseLeadership();
    this.statusName = 'stopped';
  }

  /**
   * Builds a fresh copy from the first event while the live one keeps serving, then swaps. A rebuild
   * that fails is recorded in the registry (its error, no rebuild in progress) before it rejects.
   */
  rebuild(): Promise<void> {
    if (!this.active) return Promise.reject(new Error(`projection ${this.name} is not active in this process`));
    if (!this.rebuildTask) {
      const previous = this.statusName;
      this.rebuildTask = this.runRebuild(previous)
        .catch(async (error: unknown) => {
          await this.recordRebuildFailure(previous, error);
          throw error;
        })
        .finally(() => {
          this.rebuildTask = undefined;
        });
    }
    return this.rebuildTask;
  }

  /** A rebuild asked for by another process; rebuild() records a failure, the live copy stays. */
  private rebuildOnRequest(): void {
    if (this.statusName !== 'live') return; // picked up by follow() once live
    this.rebuild().catch((error: unknown) => this.logger.error('requested rebuild failed', { projection: this.name, error: String(error) }));
  }

  /**
   * The live copy goes on as it was: still serving when it was live (the error is in the status), failed
   * when it was waiting for this rebuild to start. A runner that lost leadership or stops records nothing.
   */
  private async recordRebuildFailure(previous: ProjectionStatusName, error: unknown): Promise<void> {
    if (error instanceof LostLeadershipError || !this.running || !this.active) return;
    this.statusName = previous === 'live' ? 'live' : 'failed';
    await this.options.pool
      .query(
        `update ${this.registry}.state
            set last_error = $3, last_error_at = now(), status = $4, rebuild_version = null, rebuild_position = null,
                rebuild_head = null, rebuild_events = null, rebuild_started_at = null, updated_at = now()
          where name = $1 and owner = $2`,
        [this.name, this.instance, `rebuild failed: ${error instanceof Error ? error.message : String(error)}`, this.statusName],
      )
      .catch((recordError: unknown) => this.logger.warn('could not record a failed rebuild', { projection: this.name, error: String(recordError) }));
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (!this.active && !(await this.tryLead())) {
          this.statusName = 'standby';
          await sleep(this.options.takeoverIntervalMs ?? 1_000);
          continue;
        }
        await this.follow();
        failures = 0;
      } catch (error) {
        if (!this.running) return;
        if (error instanceof LostLeadershipError) {
          this.logger.warn('lost leadership; standing by', { projection: this.name });
          await this.releaseLeadership();
          continue;
        }
        failures++;
        await this.recordError(error);
        if (!isConnectionError(error) && this.statusName === 'stopped') return;
        this.logger.warn('projection runner failed; retrying', { projection: this.name, error: String(error), failures });
        await sleep(backoffDelay(failures, { ...DEFAULT_BACKOFF, initialMs: 200, maxMs: 10_000 }));
      }
    }
  }

  /** Takes the lease if it is free; on success the live copy is made ready. */
  private async tryLead(): Promise<boolean> {
    if (this.active) return true;
    try {
      if (!(await this.lease.tryAcquire())) return false;
    } catch (error) {
      this.logger.warn('could not try the projection lock', { projection: this.name, error: String(error) });
      return false;
    }
    this.active = true;
    this.statusName = 'starting';
    const connection = this.lease.connection;
    connection?.on('notification', (message) => {
      if (message.payload === `rebuild:${this.name}` && this.active) this.rebuildOnRequest();
    });
    await connection
      ?.query(`listen ${COMMAND_CHANNEL}`)
      .catch((error: unknown) => this.logger.warn('cannot listen for commands', { error: String(error) }));
    this.logger.info('active', { projection: this.name, instance: this.instance });
    return true;
  }

  /** The lease went with its connection: stand by, stop following. */
  private lostLease(): void {
    this.active = false;
    this.restartLive = true;
    void this.subscription?.close();
    this.wakeWatermark?.();
  }

  private async releaseLeadership(): Promise<void> {
    this.active = false;
    await this.lease.release();
  }

  /** Prepares the live copy, rebuilds it first if it is old or incomplete, then follows the store or Kafka. */
  private async follow(): Promise<void> {
    const state = await this.ensureLiveCopy();
    const source = this.options.source ?? { kind: 'store' };
    const reason =
      state.version !== this.options.projection.version
        ? `version changed from ${state.version} to ${this.options.projection.version}`
        : source.kind === 'kafka'
          ? await this.kafkaBuildNeeded(source, state)
          : undefined;
    if (reason) {
      this.logger.info('rebuilding', { projection: this.name, reason });
      // Read before the build reads the store: the copy will hold every message below these offsets.
      if (source.kind === 'kafka') this.kafkaOffsetsOfBuild = await this.withKafkaAdmin(source, (admin) => topicEndOffsets(admin, source.topics));
      await this.rebuild();
      if (!this.active || !this.running) return;
    }
    if (source.kind === 'kafka') return this.followKafka(source);
    // Under the mutex, so that a rebuild's swap cannot slip between reading the checkpoint and subscribing.
    const subscription = await this.mutex.run(async () => {
      this.position = await this.readCheckpoint();
      this.restartLive = false;
      return this.options.store.subscribeToAll({
        fromPosition: this.position,
        filter: this.filter,
        batchSize: this.options.batchSize ?? DEFAULT_BATCH_SIZE,
      });
    });
    this.subscription = subscription;
    // stop() may have come while we were subscribing: it closed nothing then, so close here.
    if (!this.running || !this.active) {
      await subscription.close();
      this.subscription = undefined;
      return;
    }
    this.statusName = 'live';
    // Said here, not only when a page applies: after a swap with nothing new the registry would stay 'starting'.
    await this.options.pool.query(`update ${this.registry}.state set status = 'live', updated_at = now() where name = $1 and owner = $2 and status = 'starting'`, [
      this.name,
      this.instance,
    ]);
    if (await this.rebuildRequested()) this.rebuildOnRequest();
    try {
      let indexed = false;
      for await (const page of subscription.pages()) {
        if (!this.running || !this.active) break;
        await this.mutex.run(() => this.applyLive(page.events, page.position));
        if (this.restartLive) break;
        if (page.caughtUp && !indexed) {
          // A first build runs without secondary indexes; they come once it has caught up.
          indexed = true;
          await this.mutex.run(() => this.finishCopy(this.schema));
        }
      }
    } finally {
      await subscription.close();
      this.subscription = undefined;
    }
  }

  /**
   * Why a copy that follows Kafka must be built from the store first, if it must: a new copy, or one
   * whose build did not reach its swap (what it had read may be gone from the topics); or one that
   * retention has left behind, having deleted messages it never got.
   */
  private async kafkaBuildNeeded(source: KafkaProjectionSource, state: LiveCopyState): Promise<string | undefined> {
    if (!state.built) return 'no finished build from the store';
    const gap = await this.withKafkaAdmin(source, (admin) =>
      kafkaRetentionGap(admin, { topics: source.topics, groupId: source.groupId ?? this.name, builtFrom: state.kafkaOffsets ?? {} }),
    );
    return gap && `retention deleted messages the copy never got (${gap})`;
  }

  private async withKafkaAdmin<T>(source: KafkaProjectionSource, use: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = source.kafka.admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * Creates the live copy if there is none, and clears what an interrupted rebuild or swap left: no
   * rebuild runs now, since only the active runner rebuilds.
   */
  private async ensureLiveCopy(): Promise<LiveCopyState> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ version: number; built: boolean; kafka_offsets: PartitionOffsets | null }>(
        `select version, built, kafka_offsets from ${this.registry}.state where name = $1 for update`,
        [this.name],
      );
      await client.query(`drop schema if exists ${this.schema}__rebuild cascade`);
      await client.query(`drop schema if exists ${this.schema}__old cascade`);
      if (rows[0]) {
        await client.query(
          `update ${this.registry}.state
              set owner = $2, status = 'starting', rebuild_version = null, rebuild_position = null, rebuild_head = null,
                  rebuild_events = null, rebuild_started_at = null, filter = $3, updated_at = now()
            where name = $1`,
          [this.name, this.instance, JSON.stringify(this.filter)],
        );
        return { version: rows[0].version, built: rows[0].built, kafkaOffsets: rows[0].kafka_offsets };
      }
      await client.query(`drop schema if exists ${this.schema} cascade`);
      await client.query(`create schema ${this.schema}`);
      await client.query(`set local search_path to ${this.schema}`);
      await client.query(createTablesSql(this.options.projection));
      // A copy that follows the store builds itself from position 0; one that follows Kafka is empty
      // until its first build from the store is swapped in.
      const built = (this.options.source?.kind ?? 'store') === 'store';
      await client.query(
        `insert into ${this.registry}.state (name, version, position, status, owner, built, filter) values ($1, $2, 0, 'starting', $3, $4, $5)`,
        [this.name, this.options.projection.version, this.instance, built, JSON.stringify(this.filter)],
      );
      return { version: this.options.projection.version, built, kafkaOffsets: null };
    });
  }

  /**
   * The live loop from Kafka: the messaging consumer writes each batch of events into the live copy in
   * its own transaction (see kafkaProjectionBatchHandler), while this loop moves the registry position to the
   * relay's checkpoint whenever the group has caught up with it (see kafkaWatermark).
   */
  private async followKafka(source: KafkaProjectionSource): Promise<void> {
    const messagingSchema = source.messagingSchema ?? 'messaging';
    const admin: Admin = source.kafka.admin();
    await admin.connect();
    let consumer: RunningKafkaConsumer<RecordedEvent> | undefined;
    try {
      consumer = await startKafkaConsumer<RecordedEvent>({
        kafka: source.kafka,
        name: source.groupId ?? this.name,
        pool: this.options.pool,
        topics: source.topics,
        catalogue: source.catalogue,
        schema: messagingSchema,
        batchSize: source.batchSize,
        consumerConfig: source.consumerConfig,
        batchHandler: kafkaProjectionBatchHandler(this.options.projection, this.schema, this.registry),
        batchTypes: this.options.projection.eventTypes,
        afterCommit: (handled) => {
          this.countApplied(handled.length);
          this.wakeWatermark?.();
        },
      });
      this.position = await this.readCheckpoint();
      const builtFrom = await this.readKafkaOffsets();
      this.restartLive = false;
      this.statusName = 'live';
      if (await this.rebuildRequested()) this.rebuildOnRequest();
      while (this.running && this.active) {
        try {
          const watermark = await kafkaWatermark(this.options.pool, admin, {
            relayName: source.relayName,
            topics: source.topics,
            groupId: source.groupId ?? this.name,
            messagingSchema,
            builtFrom,
          });
          if (watermark !== undefined) await this.mutex.run(() => this.advanceWatermark(watermark));
        } catch (error) {
          // The consumer rides out a broker or database outage on its own; the position waits for it.
          this.logger.warn('could not move the position to the relay watermark', { projection: this.name, error: String(error) });
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, source.watermarkIntervalMs ?? 250);
          function done() {
            clearTimeout(timer);
            resolve();
          }
          this.wakeWatermark = done;
        });
        this.wakeWatermark = undefined;
      }
    } finally {
      await consumer?.stop().catch((error: unknown) => this.logger.warn('could not stop the Kafka consumer', { projection: this.name, error: String(error) }));
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Moves the registry position forward (never back) to a Kafka watermark, fenced by ownership. */
  private async advanceWatermark(to: Position): Promise<void> {
    await this.transaction(async (client, commit) => {
      const { rowCount } = await client.query(
        `update ${this.registry}.state
            set position = $3, status = 'live', events_per_second = $4, updated_at = now()
          where name = $1 and owner = $2 and position < $3 and built`,
        [this.name, this.instance, to.toString(), this.rate.perSecond],
      );
      if (rowCount === 1) {
        commit.checkpoint = to;
        this.position = to;
      }
    });
  }

  private async rebuildRequested(): Promise<boolean> {
    const { rows } = await this.options.pool.query<{ requested: boolean }>(
      `select rebuild_requested_at is not null as requested from ${this.registry}.state where name = $1`,
      [this.name],
    );
    return rows[0]?.requested ?? false;
  }

  /** Creates the copy's secondary indexes (if missing) and refreshes its statistics. */
  private async finishCopy(schema: string): Promise<void> {
    const indexes = createIndexesSql(this.options.projection);
    if (indexes) {
      await this.transaction(async (client) => {
        await client.query(`set local search_path to ${schema}`);
        await client.query(indexes);
      });
    }
    // Not in a transaction: VACUUM cannot run in one. Clears the dead rows a build leaves behind.
    for (const table of Object.keys(this.options.projection.tables)) await this.options.pool.query(`vacuum analyze ${schema}.${table}`);
  }

  /** The end offsets read before the live copy's build (a rebuild while live keeps them: its copy holds those messages too). */
  private async readKafkaOffsets(): Promise<PartitionOffsets> {
    const { rows } = await this.options.pool.query<{ kafka_offsets: PartitionOffsets | null }>(
      `select kafka_offsets from ${this.registry}.state where name = $1`,
      [this.name],
    );
    return rows[0]?.kafka_offsets ?? {};
  }

  private async readCheckpoint(): Promise<Position> {
    const { rows } = await this.options.pool.query<{ position: string }>(`select position::text from ${this.registry}.state where name = $1`, [
      this.name,
    ]);
    return BigInt(rows[0]?.position ?? '0');
  }

  /** Applies a page to the live copy; a batch that keeps failing is searched for its poison event. */
  private async applyLive(pageEvents: RecordedEvent[], to: Position): Promise<void> {
    // A page fetched before a rebuild swapped in a newer copy is already in that copy.
    if (this.restartLive || to <= this.position) return;
    const events = pageEvents.filter((event) => event.position > this.position);
    const attempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.applyBatch(this.schema, events, this.position, to);
        this.position = to;
        this.countApplied(events.length);
        return;
      } catch (error) {
        if (error instanceof LostLeadershipError || isConnectionError(error)) throw error;
        if (attempt < attempts) {
          await sleep(backoffDelay(attempt, { ...DEFAULT_BACKOFF, initialMs: this.options.retryDelayMs ?? 100 }));
          continue;
        }
        if (events.length === 0) throw error;
        await this.isolatePoison(events, to, error);
        return;
      }
    }
  }

  /** Applies the events one by one, so that only the one that fails is parked (or stops the runner). */
  private async isolatePoison(events: RecordedEvent[], to: Position, batchError: unknown): Promise<void> {
    this.logger.warn('batch keeps failing; applying its events one by one', { projection: this.name, error: String(batchError) });
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      const target = i === events.length - 1 ? to : event.position;
      try {
        await this.applyBatch(this.schema, [event], this.position, target);
      } catch (error) {
        if (error instanceof LostLeadershipError || isConnectionError(error)) throw error;
        if ((this.options.onPoisonEvent ?? 'park') === 'stop') {
          this.statusName = 'stopped';
          this.running = false;
          await this.recordError(error, event);
          throw error;
        }
        await this.park(event, target, error);
      }
      this.position = target;
      this.countApplied(1);
    }
  }

  private async park(event: RecordedEvent, to: Position, error: unknown): Promise<void> {
    await this.transaction(async (client, commit) => {
      await this.advanceCheckpoint(client, commit, this.position, to, 0);
      await this.recordDeadLetter(client, event, error);
    });
  }

  /** Keeps a poison event in `dead_letters` with its reason (once per projection and event). */
  private async recordDeadLetter(client: PoolClient, event: RecordedEvent, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.error('parked a poison event', { projection: this.name, eventId: event.id, type: event.type, reason });
    await client.query(
      `insert into ${this.registry}.dead_letters (projection, event_id, event_type, stream_id, position, event, reason, attempts)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (projection, event_id) do nothing`,
      [
        this.name,
        event.id,
        event.type,
        event.streamId,
        event.position.toString(),
        JSON.stringify({ ...event, position: event.position.toString() }),
        reason,
        (this.options.maxAttempts ?? 3) + 1,
      ],
    );
    this.options.metrics?.deadLetters.inc({ projection: this.name });
  }

  /**
   * Writes a page into a copy inside the caller's transaction (a rebuild's pages, the swap's catch-up):
   * when the page fails, each event is tried under a savepoint of its own and the ones that fail are
   * parked with their reason, so one unreadable event cannot stop a rebuild for good. Returns how
   * many were written. `copyIsEmpty`: nothing has been written to this copy yet.
   */
  private async writeParkingPoison(client: PoolClient, schema: string, events: readonly RecordedEvent[], copyIsEmpty = false): Promise<number> {
    if (events.length === 0) return 0;
    await client.query('savepoint page');
    try {
      await this.writeEvents(client, schema, events);
      await client.query('release savepoint page');
      return events.length;
    } catch (error) {
      if (isConnectionError(error)) throw error;
      await client.query('rollback to savepoint page');
      this.logger.warn('page keeps failing in a copy; writing its events one by one', { projection: this.name, schema, error: String(error) });
    }
    const poison: Array<{ event: RecordedEvent; error: unknown }> = [];
    for (const event of events) {
      await client.query('savepoint one');
      try {
        await this.writeEvents(client, schema, [event]);
        await client.query('release savepoint one');
      } catch (error) {
        if (isConnectionError(error)) throw error;
        await client.query('rollback to savepoint one');
        poison.push({ event, error });
      }
    }
    // Every event of a page failing, or of the first pages of a copy, is the projection's fault, not
    // the events': the rebuild fails (and says why in the status) rather than swap in a copy with its history parked.
    if (poison.length === events.length && (events.length > 1 || copyIsEmpty)) throw poison[0].error;
    for (const { event, error } of poison) await this.recordDeadLetter(client, event, error);
    await client.query('release savepoint page');
    return events.length - poison.length;
  }

  /** One transaction: the checkpoint moves from `from` to `to` and the events' changes are written. */
  private async applyBatch(schema: string, events: readonly RecordedEvent[], from: Position, to: Position): Promise<void> {
    await this.transaction(async (client, commit) => {
      await this.advanceCheckpoint(client, commit, from, to, events.length);
      await this.writeEvents(client, schema, events);
    });
  }

  /** Applies the events after `from` up to `to` to the live copy and moves its checkpoint to `to`, in `client`'s transaction. */
  private async catchUpLiveCopy(client: PoolClient, commit: CommitAnnouncement, from: Position, to: Position): Promise<void> {
    let applied = 0;
    for (let at = from; at < to; ) {
      const page = await this.options.store.readAll({ fromPosition: at, maxCount: this.options.batchSize ?? DEFAULT_BATCH_SIZE, filter: this.filter });
      const events = page.events.filter((event) => event.position <= to);
      await this.writeParkingPoison(client, this.schema, events);
      applied += events.length;
      if (page.isEnd || page.nextPosition >= to) break;
      at = page.nextPosition;
    }
    await this.advanceCheckpoint(client, commit, from, to, applied);
  }

  /** The projection's changes for these events, written into the copy in `schema`. */
  private async writeEvents(client: PoolClient, schema: string, events: readonly RecordedEvent[]): Promise<void> {
    await writeProjectionEvents(client, this.options.projection, schema, events);
  }

  private async advanceCheckpoint(
    client: PoolClient,
    commit: CommitAnnouncement,
    from: Position,
    to: Position,
    applied: number,
  ): Promise<void> {
    const { rowCount } = await client.query(
      `update ${this.registry}.state
          set position = $3, events_applied = events_applied + $4, status = 'live', owner = $5,
              events_per_second = $6, updated_at = now()
        where name = $1 and position = $2`,
      [this.name, from.toString(), to.toString(), applied, this.instance, this.rate.perSecond],
    );
    if (rowCount !== 1) throw new LostLeadershipError(`checkpoint of ${this.name} moved under this runner`);
    commit.checkpoint = to;
  }

  private async runRebuild(previous: ProjectionStatusName): Promise<void> {
    const projection = this.options.projection;
    const shadow = `${this.schema}__rebuild`;
    const old = `${this.schema}__old`;
    const started = Date.now();
    this.statusName = 'rebuilding';
    const head = await this.options.store.headPosition();
    // Progress runs from the first event to the head: positions are not dense, and the first one is far from 0.
    const first = (await this.options.store.readAll({ maxCount: 1, filter: this.filter })).events[0]?.position ?? head;
    const progressOf = (position: Position): number => rebuildProgress(first, head, position);
    await this.transaction(async (client) => {
      await client.query(`drop schema if exists ${shadow} cascade`);
      await client.query(`create schema ${shadow}`);
      await client.query(`set local search_path to ${shadow}`);
      await client.query(createTablesSql(projection));
      await client.query(
        `update ${this.registry}.state set status = 'rebuilding', rebuild_version = $2, rebuild_position = 0, rebuild_head = $3,
                rebuild_events = 0, rebuild_started_at = now(), updated_at = now() where name = $1`,
        [this.name, projection.version, head.toString()],
      );
    });
    this.logger.info('rebuild started', { projection: this.name, head: head.toString() });

    let position: Position = START;
    let events = 0;
    /** Events written to the new copy (not parked). */
    let written = 0;
    const readPage = (from: Position) =>
      this.options.store.readAll({ fromPosition: from, maxCount: this.options.batchSize ?? DEFAULT_BATCH_SIZE, filter: this.filter });
    // Catch up in the shadow copy while the live copy keeps serving (and, same version, keeps
    // following), reading the next page while this one is written.
    let next = readPage(position);
    for (;;) {
      if (!this.running || !this.active) throw new LostLeadershipError('stopped during rebuild');
      const page = await next;
      if (!page.isEnd) {
        next = readPage(page.nextPosition);
        next.catch(() => undefined); // seen when awaited
      }
      await this.transaction(async (client) => {
        written += await this.writeParkingPoison(client, shadow, page.events, written === 0);
        await client.query(
          `update ${this.registry}.state set rebuild_position = $2, rebuild_events = rebuild_events + $3, updated_at = now() where name = $1`,
          [this.name, page.nextPosition.toString(), page.events.length],
        );
      });
      events += page.events.length;
      position = page.nextPosition;
      this.options.metrics?.rebuildProgress.set({ projection: this.name }, progressOf(position));
      if (page.isEnd) break;
    }

    await this.finishCopy(shadow);

    // Swap, with the live loop paused: apply what came meanwhile and commit; wait until every open
    // snapshot sees that commit (the old and new copies now hold the same events, so a snapshot
    // reads the same totals from either); then rename in a transaction of its own.
    await this.mutex.run(async () => {
      let liveCaughtUp = false;
      const caughtUp = await this.transaction(async (client, commit) => {
        const { rows } = await client.query<{ version: number; position: string }>(
          `select version, position::text from ${this.registry}.state where name = $1 for update`,
          [this.name],
        );
        for (;;) {
          const page = await readPage(position);
          written += await this.writeParkingPoison(client, shadow, page.events, written === 0);
          events += page.events.length;
          position = page.nextPosition;
          if (page.isEnd) break;
        }
        await client.query(`update ${this.registry}.state set rebuild_position = $2, updated_at = now() where name = $1`, [
          this.name,
          position.toString(),
        ]);
        // A live copy of the same version that follows the store is brought to the same position.
        const live = BigInt(rows[0].position);
        if ((this.options.source?.kind ?? 'store') === 'store' && rows[0].version === projection.version && live < position) {
          await this.catchUpLiveCopy(client, commit, live, position);
          liveCaughtUp = true;
        }
        return (await client.query<{ xid: string }>('select pg_current_xact_id()::text as xid')).rows[0].xid;
      });
      if (liveCaughtUp) this.position = position;
      const client = await this.options.pool.connect();
      try {
        if (!(await waitForSnapshotsAfter(client, caughtUp, this.options.swapSnapshotWaitMs ?? 5_000))) {
          this.logger.warn('swapping while a transaction older than the rebuilt copy is open: a REPEATABLE READ reader in it may see part of the copy', {
            projection: this.name,
          });
        }
      } finally {
        client.release();
      }
      await this.transaction(async (client, commit) => {
        await client.query(`select 1 from ${this.registry}.state where name = $1 for update`, [this.name]);
        // A crash between an earlier swap's commit and its drop leaves an old copy behind.
        await client.query(`drop schema if exists ${old} cascade`);
        await client.query(`alter schema ${this.schema} rename to ${old}`);
        await client.query(`alter schema ${shadow} rename to ${this.schema}`);
        await client.query(
          `update ${this.registry}.state
              set version = $2, position = $3, swap_position = $3, built = true, status = 'live', rebuild_version = null, rebuild_position = null,
                  rebuild_head = null, rebuild_events = null, rebuild_started_at = null, rebuild_requested_at = null,
                  kafka_offsets = coalesce($4::jsonb, kafka_offsets), updated_at = now()
            where name = $1`,
          [this.name, projection.version, position.toString(), this.kafkaOffsetsOfBuild ? JSON.stringify(this.kafkaOffsetsOfBuild) : null],
        );
        this.kafkaOffsetsOfBuild = undefined;
        commit.checkpoint = position;
      });
      this.position = position;
      this.restartLive = true;
      await this.subscription?.close();
    });
    await this.options.pool.query(`drop schema if exists ${old} cascade`);
    this.options.metrics?.rebuildProgress.set({ projection: this.name }, 1);
    this.statusName = previous === 'rebuilding' ? 'live' : previous === 'starting' ? 'starting' : 'live';
    this.logger.info('rebuild swapped in', { projection: this.name, events, seconds: (Date.now() - started) / 1000 });
  }

  private countApplied(events: number): void {
    const now = Date.now();
    this.rate.events += events;
    const elapsed = (now - this.rate.since) / 1000;
    if (elapsed >= 1) {
      this.rate.perSecond = this.rate.events / elapsed;
      this.rate = { since: now, events: 0, perSecond: this.rate.perSecond };
    }
    this.options.metrics?.eventsApplied.inc({ projection: this.name }, events);
  }

  private async recordError(error: unknown, event?: RecordedEvent): Promise<void> {
    const message = `${error instanceof Error ? error.message : String(error)}${event ? ` (event ${event.id}, ${event.type})` : ''}`;
    await this.options.pool
      .query(
        `update ${this.registry}.state set last_error = $2, last_error_at = now(), status = $3, updated_at = now() where name = $1`,
        [this.name, message, this.statusName === 'stopped' ? 'stopped' : 'failed'],
      )
      .catch(() => undefined);
  }

  /** A transaction of the read model; a checkpoint it moved is announced once it has committed. */
  private async transaction<T>(work: (client: PoolClient, commit: CommitAnnouncement) => Promise<T>): Promise<T> {
    const commit: CommitAnnouncement = {};
    const result = await withTransaction(this.options.pool, (client) => work(client, commit));
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
      .query('select pg_notify($1, $2)', [CHECKPOINT_CHANNEL, `${this.name}:${position.toString()}`])
      .catch((error: unknown) => this.logger.warn('could not announce the checkpoint', { projection: this.name, error: String(error) }))
      .finally(() => {
        this.announcing = false;
        const next = this.nextAnnouncement;
        this.nextAnnouncement = undefined;
        if (next !== undefined) this.announce(next);
      });
  }
}
