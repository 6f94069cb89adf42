import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import {
  assertStreamId,
  isClientelaError,
  categoryOf,
  START,
  type EventCatalogue,
  type EventMetadata,
  type NewEvent,
  type Position,
  type RecordedEvent,
  type StreamId,
} from '@clientela/contracts';
import { assertSchemaName, migrate, withTransaction } from '@clientela/postgres';
import type {
  AppendOptions,
  AppendResult,
  DeleteOptions,
  EventFilter,
  EventStore,
  ExpectedRevision,
  MultiStreamAppendResult,
  StreamAppendResult,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  StreamAppend,
  StreamMetadata,
  StreamState,
  SubscribeToAllOptions,
  Subscription,
} from '../port/event-store';
import {
  EventStoreError,
  EventStoreUnavailableError,
  IdempotencyConflictError,
  InvalidArgumentError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from '../port/errors';
import {
  assertExpectedRevision,
  assertMaxCount,
  DEFAULT_READ_PAGE,
  prepareAppend,
  preparedJsonOf,
  prepareStreamAppends,
  type PreparedEvent,
  type PreparedStreamAppend,
} from '../port/prepare-append';
import { eventContentLimits, findUnstorableJson, type EventContentLimits } from '../port/event-content';
import { assertEventFilter } from '../port/event-filter';
import { decodeStoredEvents, type PersonalDataCodec } from '../port/personal-data';
import { Notifier, OtherListeners } from './notifier';
import { asPgError, IDEMPOTENCY_CONFLICT, isConnectionError, LOOK_UP_IDS, STREAM_TOMBSTONED, WRONG_REVISION } from './errors';
import { packPosition, unpackPosition } from './positions';
import { EVENT_STORE_MIGRATIONS } from './schema';
import { PostgresSubscription } from './postgres-subscription';

export interface PostgresEventStoreOptions {
  catalogue: EventCatalogue;
  /** Used when no pool is given. */
  connectionString?: string;
  /** A pool owned by the caller; close() leaves it open. */
  pool?: Pool;
  /** Size of the pool the store makes for itself. Default 10. */
  poolSize?: number;
  /** The store's own schema. Default `event_store`. */
  schema?: string;
  /** Apply the store's migrations on create. Default true. */
  migrate?: boolean;
  /** Told about transient failures that subscriptions retry (lost connections, restarts). */
  onTransientError?: (error: unknown) => void;
  /** How long an idle subscription waits for a notification before it looks anyway. Default 1000 ms. */
  idlePollMs?: number;
  /**
   * Bounds on what an event's data and metadata hold (nesting depth, metadata size, the whole event's
   * size); appends beyond them are refused with a ValidationError. Default 64 levels, 16 KiB of
   * metadata, 900 KiB an event (under Kafka's default 1 MiB message, with room for the envelope).
   */
  contentLimits?: Partial<EventContentLimits>;
  /** Seals personal fields on append and opens them on read (libs/personal-data). Without it they are stored in clear. */
  personalData?: PersonalDataCodec;
}

interface EventRow extends QueryResultRow {
  event_id: string;
  stream_id: string;
  revision: string;
  transaction_id: string;
  seq: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  /** int8 as text: milliseconds since 1970. */
  recorded_ms: string;
}

interface StreamRow extends QueryResultRow {
  stream_revision: string;
  deleted: boolean;
  tombstoned: boolean;
}

/** The page a subscription reads, with what it needs to decide how to wait. */
export interface InternalPage extends ReadAllPage {
  /** Committed events exist beyond the horizon that an older, still running transaction holds back. */
  heldBack: boolean;
}

const EXPECTED_CODES: Record<'no_stream' | 'any' | 'exists', number> = { no_stream: -1, any: -2, exists: -3 };
const MAX_REVISION = '9223372036854775807';
// recorded_at as milliseconds since 1970: PostgreSQL writes an int8 faster than a timestamptz, and
// Node makes a Date of it for a fraction of what parsing the timestamp's text cost (0.5 µs an event).
const EVENT_COLUMNS =
  'e.event_id, e.stream_id, e.revision, e.transaction_id, e.seq, e.type, e.data, e.metadata, floor(extract(epoch from e.recorded_at) * 1000)::int8 as recorded_ms';

/**
 * The embedded default EventStore, on PostgreSQL. One round trip per append or appendToStreams
 * (plpgsql functions append_events and append_to_streams), gap-free global order from
 * transaction ids (see positions.ts), and LISTEN/NOTIFY to wake subscribers.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  private readonly notifier: Notifier;
  /** Whether another connection listens for this store's NOTIFYs: none is sent while nobody does. */
  private readonly otherListeners: OtherListeners;
  private readonly subscriptions = new Set<PostgresSubscription>();
  private readonly contentLimits: EventContentLimits;
  /** The NOTIFY after appends: none due, one due this turn, one in flight, one more due after it. */
  private notifyState: 'idle' | 'scheduled' | 'sending' | 'again' = 'idle';
  private notified: Promise<void> = Promise.resolve();
  /**
   * The payload of this store's NOTIFYs. Its own subscribers are woken at once after each append, so
   * its listener passes over the echo: it would only make each of them read one more, empty page.
   */
  private readonly notifyPayload = randomUUID();

  private constructor(
    readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly catalogue: EventCatalogue,
    schema: string,
    private readonly options: PostgresEventStoreOptions,
  ) {
    this.schema = schema;
    this.contentLimits = eventContentLimits(options.contentLimits);
    this.notifier = new Notifier(
      { connectionString: options.connectionString, ...pool.options },
      `${schema}_events`,
      (error) => this.reportTransient(error),
      this.notifyPayload,
    );
    this.otherListeners = new OtherListeners(pool, this.notifier);
  }

  static async create(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const schema = assertSchemaName(options.schema ?? 'event_store');
    if (!options.pool && !options.connectionString) throw new TypeError('PostgresEventStore needs a pool or a connectionString');
    const pool = options.pool ?? new Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    if (!options.pool) pool.on('error', (error) => options.onTransientError?.(error));
    const store = new PostgresEventStore(pool, !options.pool, options.catalogue, schema, options);
    try {
      if (options.migrate ?? true) await migrate(pool, schema, EVENT_STORE_MIGRATIONS);
    } catch (error) {
      await store.close();
      throw store.unavailable('migrate', error);
    }
    return store;
  }

  async append(streamId: StreamId, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    const prepared = prepareAppend(this.catalogue, streamId, events, options.expectedRevision ?? 'any', this.contentLimits);
    const expected = prepared.expectedRevision;
    const stored = this.options.personalData ? (await this.options.personalData.seal([prepared]))[0] : prepared.events;
    const params = [
      streamId,
      categoryOf(streamId),
      typeof expected === 'number' ? expected : EXPECTED_CODES[expected],
      eventsJson([stored]),
      false,
    ];
    // Named: parsed and planned once per connection.
    const query = {
      name: `${this.schema}.append_events`,
      text: `select * from ${this.schema}.append_events($1, $2, $3, $4::jsonb, $5)`,
      values: params,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await this.pool.query<{ last_revision: string; last_transaction_id: string; last_seq: string }>(query);
        const row = rows[0];
        this.announceAppend();
        return { nextRevision: Number(row.last_revision), position: packPosition(row.last_transaction_id, row.last_seq) };
      } catch (error) {
        const pg = asPgError(error);
        // An id stored before: call again, looking the ids up first (a retry, or a conflict). Also
        // when two appends raced with the same event id into different streams: the loser looks
        // again, and now sees the winner's events.
        if (pg?.code === '23505' && pg.constraint === 'events_event_id_unique' && attempt < 3) {
          params[4] = true;
          continue;
        }
        throw this.appendError(streamId, expected, error);
      }
    }
  }

  async appendToStreams(appends: readonly StreamAppend[]): Promise<MultiStreamAppendResult> {
    const prepared = prepareStreamAppends(this.catalogue, appends, this.contentLimits);
    const sealed = this.options.personalData ? await this.options.personalData.seal(prepared) : prepared.map((append) => append.events);
    const params = [
      prepared.map((a) => a.streamId),
      prepared.map((a) => categoryOf(a.streamId)),
      prepared.map((a) => (typeof a.expectedRevision === 'number' ? a.expectedRevision : EXPECTED_CODES[a.expectedRevision])),
      eventsJson(sealed),
      false,
    ];
    const query = {
      name: `${this.schema}.append_to_streams`,
      text: `select * from ${this.schema}.append_to_streams($1::text[], $2::text[], $3::bigint[], $4::jsonb, $5)`,
      values: params,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await this.pool.query<{
          append_index: number;
          duplicate: boolean;
          last_revision: string;
          last_transaction_id: string;
          last_seq: string;
        }>(query);
        this.announceAppend();
        const streams = rows.map(
          (row): StreamAppendResult => ({
            streamId: prepared[row.append_index].streamId,
            nextRevision: Number(row.last_revision),
            position: packPosition(row.last_transaction_id, row.last_seq),
            duplicate: row.duplicate,
          }),
        );
        return { streams, position: streams.reduce((max, s) => (s.position > max ? s.position : max), START) };
      } catch (error) {
        const pg = asPgError(error);
        // The first call writes without looking ids up (migration 7). An id stored before, or a
        // stream not where an append expects it: call again looking them up, which answers a retry
        // as a duplicate and refuses the rest with their reasons. Two calls raced with the same
        // event id into different streams: the loser looks again and now sees the winner's events.
        const lookUp = pg?.code === LOOK_UP_IDS || (pg?.code === '23505' && pg.constraint === 'events_event_id_unique');
        if (lookUp && attempt < 3) {
          params[4] = true;
          continue;
        }
        throw this.appendToStreamsError(prepared, error);
      }
    }
  }

  async readStream(streamId: StreamId, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertStreamId(streamId);
    const direction = options.direction ?? 'forwards';
    if (direction !== 'forwards' && direction !== 'backwards') {
      throw new InvalidArgumentError(`direction must be 'forwards' or 'backwards', got ${JSON.stringify(direction)}`);
    }
    const maxCount = assertMaxCount(options.maxCount, Number.MAX_SAFE_INTEGER);
    const from = options.from ?? (direction === 'forwards' ? 'start' : 'end');
    if (typeof from === 'number' && (!Number.isSafeInteger(from) || from < 0)) {
      throw new InvalidArgumentError(`from must be a revision >= 0, 'start' or 'end', got ${from}`);
    }
    const fromRevision = from === 'start' ? '0' : from === 'end' ? MAX_REVISION : String(from);
    const forwards = direction === 'forwards';
    const { rows } = await this.query<StreamRow & Partial<EventRow>>(
      'readStream',
      `select s.revision as stream_revision, s.deleted, s.tombstoned, ${EVENT_COLUMNS}
         from ${this.schema}.streams s
         left join lateral (
           select * from ${this.schema}.events e
            where e.stream_id = s.stream_id
              and e.revision >= greatest(s.truncate_before, coalesce(s.revision - s.max_count + 1, 0))
              and (s.max_age_seconds is null or e.recorded_at >= now() - make_interval(secs => s.max_age_seconds))
              and e.revision ${forwards ? '>=' : '<='} $2::bigint
            order by e.revision ${forwards ? 'asc' : 'desc'}
            limit $3) e on true
        where s.stream_id = $1`,
      [streamId, fromRevision, Math.min(maxCount, 2 ** 31 - 1)],
    );
    const head = rows[0];
    if (!head) throw new StreamNotFoundError(streamId);
    if (head.tombstoned) throw new StreamDeletedError(streamId);
    if (head.deleted) throw new StreamNotFoundError(streamId);
    return this.decode(rows.filter((row): row is StreamRow & EventRow => row.event_id != null).map((row) => this.toStored(row)), false);
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    const { events, nextPosition, isEnd } = await this.readPage(options);
    return { events, nextPosition, isEnd };
  }

  /** readAll plus whether older running transactions hold committed events back. */
  async readPage(options: ReadAllOptions): Promise<InternalPage> {
    const from = options.fromPosition ?? START;
    if (typeof from !== 'bigint' || from < 0n) throw new InvalidArgumentError('fromPosition must be a Position (bigint >= 0)');
    const maxCount = assertMaxCount(options.maxCount, DEFAULT_READ_PAGE);
    assertEventFilter(options.filter);
    const { transactionId, seq } = unpackPosition(from);
    const params: unknown[] = [transactionId, seq, maxCount];
    const conditions = this.filterConditions(options.filter, params);
    // One statement, so the page, the tip and the horizon come from one snapshot. Only
    // transactions older than every running one are read: nothing can commit below them later.
    const { rows } = await this.query<Partial<EventRow> & { tip_tx: string | null; tip_seq: string | null; held_back: boolean }>(
      'readAll',
      `with page as (
         select ${EVENT_COLUMNS} from ${this.schema}.events e
          where (e.transaction_id, e.seq) > ($1::xid8, $2::bigint)
            and e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ${conditions}
          order by e.transaction_id, e.seq
          limit $3),
       tip as (
         select e.transaction_id, e.seq from ${this.schema}.events e
          where e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          order by e.transaction_id desc, e.seq desc
          limit 1)
       -- The tip and the horizon once, in a first row without an event, not in every row of the page.
       select * from (
         select (select transaction_id from tip) as tip_tx, (select seq from tip) as tip_seq,
                -- The newest visible event, by the primary key's index: an exists over a range the planner
                -- cannot estimate became a sequential scan of the whole table on every read.
                coalesce((select e.transaction_id from ${this.schema}.events e
                           order by e.transaction_id desc, e.seq desc limit 1) >= pg_snapshot_xmin(pg_current_snapshot()), false) as held_back,
                null::uuid as event_id, null::text as stream_id, null::bigint as revision, null::xid8 as transaction_id, null::bigint as seq,
                null::text as type, null::jsonb as data, null::jsonb as metadata, null::int8 as recorded_ms
         union all
         select null, null, null, page.* from page) r
        order by r.transaction_id nulls first, r.seq`,
      params,
    );
    const head = rows[0];
    const events = await this.decode(
      rows.filter((row): row is EventRow & typeof head => row.event_id != null).map((row) => this.toStored(row)),
      options.raw ?? false,
    );
    const isEnd = events.length < maxCount;
    const tip = head?.tip_tx != null && head.tip_seq != null ? packPosition(head.tip_tx, head.tip_seq) : START;
    const last = events.length > 0 ? events[events.length - 1].position : from;
    // At the end of what is readable, everything up to the tip has been seen (or filtered out).
    const nextPosition = isEnd && tip > last ? tip : last;
    return { events, nextPosition, isEnd, heldBack: head?.held_back ?? false };
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    assertEventFilter(options.filter);
    const subscription = new PostgresSubscription({
      read: (fromPosition) =>
        this.readPage({ fromPosition, maxCount: options.batchSize ?? DEFAULT_READ_PAGE, filter: options.filter, raw: options.raw }),
      notificationGeneration: () => this.notifier.current(),
      waitForNotification: (generation, ms) => this.notifier.wait(generation, ms),
      wake: () => this.notifier.wakeAll(),
      isTransient: isConnectionError,
      onTransientError: (error) => this.reportTransient(error),
      fromPosition: options.fromPosition ?? START,
      idlePollMs: this.options.idlePollMs ?? 1_000,
      onClosed: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position> {
    const { rows } = await this.query<{ transaction_id: string; seq: string }>(
      'headPosition',
      `select e.transaction_id, e.seq from ${this.schema}.events e
        where e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        order by e.transaction_id desc, e.seq desc limit 1`,
    );
    return rows[0] ? packPosition(rows[0].transaction_id, rows[0].seq) : START;
  }

  async streamState(streamId: StreamId): Promise<StreamState | undefined> {
    assertStreamId(streamId);
    const { rows } = await this.query<{
      revision: string;
      deleted: boolean;
      tombstoned: boolean;
      truncate_before: string;
      max_count: string | null;
      max_age_seconds: string | null;
      custom: Record<string, unknown> | null;
    }>('streamState', `select * from ${this.schema}.streams where stream_id = $1`, [streamId]);
    const row = rows[0];
    if (!row) return undefined;
    const metadata: StreamMetadata = {};
    if (Number(row.truncate_before) > 0) metadata.truncateBefore = Number(row.truncate_before);
    if (row.max_count != null) metadata.maxCount = Number(row.max_count);
    if (row.max_age_seconds != null) metadata.maxAge = Number(row.max_age_seconds);
    if (row.custom != null) metadata.custom = row.custom;
    return { revision: Number(row.revision), deleted: row.deleted, tombstoned: row.tombstoned, metadata };
  }

  async setStreamMetadata(streamId: StreamId, metadata: StreamMetadata): Promise<void> {
    assertStreamId(streamId);
    for (const key of ['truncateBefore', 'maxCount', 'maxAge'] as const) {
      const value = metadata[key];
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
        throw new InvalidArgumentError(`${key} must be an integer >= 0, got ${value}`, [
          { path: key, constraints: { min: 'must be an integer >= 0' } },
        ]);
      }
    }
    const unstorable = findUnstorableJson(metadata.custom, 'custom', this.contentLimits.maxDepth);
    if (unstorable) {
      throw new InvalidArgumentError(`${unstorable.path} ${unstorable.message}`, [
        { path: unstorable.path, constraints: { [unstorable.rule]: unstorable.message } },
      ]);
    }
    const { rows } = await this.query<{ tombstoned: boolean }>(
      'setStreamMetadata',
      `insert into ${this.schema}.streams as s (stream_id, category, truncate_before, max_count, max_age_seconds, custom)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (stream_id) do update
         set truncate_before = excluded.truncate_before, max_count = excluded.max_count,
             max_age_seconds = excluded.max_age_seconds, custom = excluded.custom, updated_at = now()
       returning s.tombstoned`,
      [
        streamId,
        categoryOf(streamId),
        metadata.truncateBefore ?? 0,
        metadata.maxCount ?? null,
        metadata.maxAge ?? null,
        metadata.custom === undefined ? null : JSON.stringify(metadata.custom),
      ],
    );
    if (rows[0]?.tombstoned) throw new StreamDeletedError(streamId);
  }

  deleteStream(streamId: StreamId, options: DeleteOptions = {}): Promise<void> {
    return this.markDeleted(streamId, options, false);
  }

  tombstoneStream(streamId: StreamId, options: DeleteOptions = {}): Promise<void> {
    return this.markDeleted(streamId, options, true);
  }

  async close(): Promise<void> {
    // the last appends' NOTIFY goes out before the pool closes
    while (this.notifyState !== 'idle') {
      if (this.notifyState === 'scheduled') this.sendNotify();
      await this.notified;
    }
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.otherListeners.settled();
    await this.notifier.close();
    if (this.ownsPool) await this.pool.end().catch(() => undefined);
  }

  private async markDeleted(streamId: StreamId, options: DeleteOptions, tombstone: boolean): Promise<void> {
    assertStreamId(streamId);
    const expected = assertExpectedRevision(options.expectedRevision ?? 'any');
    await this.transaction(tombstone ? 'tombstoneStream' : 'deleteStream', async (client) => {
      const { rows } = await client.query<{ revision: string; deleted: boolean; tombstoned: boolean }>(
        `select revision, deleted, tombstoned from ${this.schema}.streams where stream_id = $1 for update`,
        [streamId],
      );
      const row = rows[0];
      if (row?.tombstoned) throw new StreamDeletedError(streamId);
      const actual = row && !row.deleted ? Number(row.revision) : -1;
      if (!matchesExpected(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
      if (!row) {
        if (!tombstone) throw new StreamNotFoundError(streamId);
        await client.query(
          `insert into ${this.schema}.streams (stream_id, category, deleted, tombstoned) values ($1, $2, true, true)`,
          [streamId, categoryOf(streamId)],
        );
        return;
      }
      await client.query(
        `update ${this.schema}.streams
            set deleted = true, tombstoned = tombstoned or $2, truncate_before = revision + 1, updated_at = now()
          where stream_id = $1`,
        [streamId, tombstone],
      );
    });
  }

  private filterConditions(filter: EventFilter | undefined, params: unknown[]): string {
    let sql = '';
    if (filter?.categories) {
      params.push([...filter.categories]);
      sql += ` and e.category = any($${params.length}::text[])`;
    }
    if (filter?.eventTypes) {
      params.push([...filter.eventTypes]);
      sql += ` and e.type = any($${params.length}::text[])`;
    }
    return sql;
  }

  private decode(events: RecordedEvent[], raw: boolean): Promise<RecordedEvent[]> {
    return decodeStoredEvents(events, raw, this.options.personalData, (event) => this.catalogue.upcast(event));
  }

  /** A row as stored: personal fields sealed, payload at the version it was written with. */
  private toStored(row: EventRow): RecordedEvent {
    return {
      id: row.event_id,
      type: row.type,
      streamId: row.stream_id,
      revision: Number(row.revision),
      position: packPosition(row.transaction_id, row.seq),
      data: row.data,
      metadata: row.metadata,
      recordedAt: new Date(Number(row.recorded_ms)),
    };
  }

  /**
   * Wakes subscribers after an append: this process's at once, other processes' with a NOTIFY
   * of its own, sent once the appends that finished in this turn of the event loop are in (at most
   * one in flight; appends meanwhile are covered by one more).
   */
  private announceAppend(): void {
    this.notifier.wakeAll();
    if (this.notifyState === 'idle') {
      this.notifyState = 'scheduled';
      setImmediate(() => {
        if (this.notifyState === 'scheduled') this.sendNotify();
      });
    } else if (this.notifyState === 'sending') {
      this.notifyState = 'again';
    }
  }

  private sendNotify(): void {
    if (!this.otherListeners.any()) {
      this.notifyState = 'idle';
      return;
    }
    this.notifyState = 'sending';
    // NOTIFY gives its transaction an id and a commit record, and a synchronous commit would wait
    // for that record's flush, holding a pool connection for nothing: a notification is never
    // durable anyway, and the events it announces were flushed with their own commit.
    this.notified = this.pool
      .query("select set_config('synchronous_commit', 'off', true), pg_notify($1, $2)", [this.notifier.channel, this.notifyPayload])
      .then(
        () => undefined,
        (error: unknown) => this.reportTransient(error),
      )
      .finally(() => {
        const again = this.notifyState === 'again';
        this.notifyState = 'idle';
        if (again) this.announceAppend();
      });
  }

  private appendError(streamId: StreamId, expected: ExpectedRevision, error: unknown): Error {
    const pg = asPgError(error);
    switch (pg?.code) {
      case WRONG_REVISION:
        return new WrongExpectedRevisionError(streamId, expected, Number(pg.detail));
      case STREAM_TOMBSTONED:
        return new StreamDeletedError(streamId);
      case IDEMPOTENCY_CONFLICT:
        return idempotencyConflict(pg.detail);
      default:
        return this.storeError('append', error);
    }
  }

  /** SQLSTATEs of append_to_streams (DETAIL in JSON, naming the StreamAppend) as the port's errors. */
  private appendToStreamsError(prepared: readonly PreparedStreamAppend[], error: unknown): Error {
    const pg = asPgError(error);
    switch (pg?.code) {
      case WRONG_REVISION: {
        const conflicts = JSON.parse(pg.detail ?? '[]') as { appendIndex: number; streamId: string; actual: number }[];
        return WrongExpectedRevisionError.ofStreamAppends(
          conflicts.map((c) => ({ ...c, expected: prepared[c.appendIndex].expectedRevision })),
        );
      }
      case STREAM_TOMBSTONED: {
        const detail = JSON.parse(pg.detail ?? '{}') as { appendIndex: number; streamId: string };
        return new StreamDeletedError(detail.streamId, detail.appendIndex);
      }
      case IDEMPOTENCY_CONFLICT:
        return idempotencyConflict(pg.detail);
      default:
        return this.storeError('appendToStreams', error);
    }
  }

  private async query<R extends QueryResultRow>(operation: string, sql: string, params: unknown[] = []): Promise<{ rows: R[] }> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw this.storeError(operation, error);
    }
  }

  private async transaction<T>(operation: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withTransaction(this.pool, work);
    } catch (error) {
      throw this.storeError(operation, error);
    }
  }

  /**
   * What a failed operation throws: the port's own errors as they are, a lost connection as
   * EventStoreUnavailableError, anything else wrapped in EventStoreError (never a raw driver error).
   */
  private storeError(operation: string, error: unknown): Error {
    if (isClientelaError(error)) return error;
    if (isConnectionError(error)) return this.unavailable(operation, error);
    return new EventStoreError(operation, asPgError(error)?.code, error);
  }

  private unavailable(operation: string, error: unknown): EventStoreUnavailableError {
    const reason = error instanceof Error ? error.message : String(error);
    return new EventStoreUnavailableError(`event store unavailable in ${operation}: ${reason}`, error);
  }

  private reportTransient(error: unknown): void {
    this.options.onTransientError?.(error);
  }
}

interface IdempotencyConflictDetail {
  /** From append_to_streams: the StreamAppend's index. */
  appendIndex?: number;
  eventId?: string;
  streamId?: string;
  sameStream?: boolean;
  sameContent?: boolean;
  revision?: number;
}

/** CE003's detail (see schema.ts, migrations 2 and 3) as the port's error, naming the id and why. */
const idempotencyConflict = (detailText: string | undefined): IdempotencyConflictError => {
  const detail = JSON.parse(detailText ?? '{}') as IdempotencyConflictDetail;
  const where = `in stream ${detail.streamId ?? 'unknown'} (revision ${detail.revision ?? 'unknown'})`;
  const reason = !detail.sameStream
    ? where
    : !detail.sameContent
      ? `with another type, data or metadata ${where}`
      : `${where} by an append that does not hold exactly these events in this order`;
  return new IdempotencyConflictError(detail.eventId ?? 'unknown', reason, detail.appendIndex);
};

/**
 * The events of one or more StreamAppends as one JSON array of { a, id, type, data, metadata } (a:
 * the StreamAppend's 1-based index) for append_events and append_to_streams: the data and metadata
 * texts are put in as they are, where pg would escape each again inside an array literal.
 */
const eventsJson = (appends: readonly (readonly PreparedEvent[])[]): string => {
  let text = '[';
  appends.forEach((events, index) => {
    for (const event of events) {
      const json = preparedJsonOf(event);
      // ids are UUIDs checked by prepareAppend; a type is any string, so JSON.stringify quotes it
      text += `${text.length > 1 ? ',' : ''}{"a":${index + 1},"id":"${event.id}","type":${JSON.stringify(event.type)},"data":${json.data},"metadata":${json.metadata}}`;
    }
  });
  return `${text}]`;
};

const matchesExpected = (expected: ExpectedRevision, actual: number): boolean =>
  expected === 'any' ||
  (expected === 'no_stream' && actual < 0) ||
  (expected === 'exists' && actual >= 0) ||
  expected === actual;

export const createPostgresEventStore = (options: PostgresEventStoreOptions): Promise<PostgresEventStore> =>
  PostgresEventStore.create(options);
