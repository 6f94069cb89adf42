import {
  AccessDeniedError,
  BACKWARDS,
  END,
  EventStoreDBClient,
  NotLeaderError,
  FORWARDS,
  NO_STREAM,
  START as ESDB_START,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendResult as EsdbAppendResult,
  type ReadPosition,
  type ReadStreamOptions as EsdbReadStreamOptions,
} from '@eventstore/db-client';
import { assertStreamId, START, type EventCatalogue, type NewEvent, type Position, type RecordedEvent, type StreamId } from '@clientela/contracts';
import { backoffDelay, sleep, type BackoffPolicy } from '@clientela/postgres';
import type {
  AppendOptions,
  AppendResult,
  DeleteOptions,
  EventStore,
  ExpectedRevision,
  MultiStreamAppendResult,
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
  EventStoreUnavailableError,
  IdempotencyConflictError,
  InvalidArgumentError,
  MultiStreamAppendUnsupportedError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from '../port/errors';
import {
  assertExpectedRevision,
  assertMaxCount,
  DEFAULT_READ_PAGE,
  prepareAppend,
  prepareStreamAppends,
  type PreparedEvent,
} from '../port/prepare-append';
import { assertEventFilter } from '../port/event-filter';
import {
  isStreamDeleted,
  isWrongExpectedVersion,
  mapErrors,
  EventStoreDbPermissionError,
  StreamSoftDeletedError,
  toPortError,
} from './errors';
import {
  appendSlotOf,
  compareStoredBatch,
  foreignReason,
  positionOf,
  toEventData,
  toRecordedEvent,
  type StoredEvent,
} from './events';
import { isSystemEvent, matchesFilter, matchesNothing, normalizeFilter, serverFilter } from './filters';
import { assertPosition, isRealPosition, packPosition, toReadPosition } from './positions';
import {
  fromEsdbCurrentRevision,
  toEsdbDeleteExpectedRevision,
  toEsdbExpectedRevision,
  toRevisionNumber,
} from './revisions';
import {
  fromEsdbStreamMetadata,
  isSoftDeleted,
  isSoftDeleteMarker,
  mergeStreamMetadata,
  toEsdbStreamMetadata,
} from './stream-metadata';
import { DEFAULT_RESUBSCRIBE, EventStoreDbAllSubscription, type ResubscribePolicy } from './subscription';
import { decodeStoredEvents, type PersonalDataCodec } from '../port/personal-data';

export interface EventStoreDbEventStoreOptions {
  catalogue: EventCatalogue;
  /**
   * How many events of a stream, at most, the adapter reads (newest first) to recognise a retried
   * append after the server refused its expected revision. Default 10 000.
   */
  idempotencyScanLimit?: number;
  /** Events per request while scanning `$all` in readAll and headPosition. Default 1 000. */
  readAllChunkSize?: number;
  /**
   * Most events one readAll call examines. The 6.x client reads `$all` without a server-side
   * filter, so a selective filter would otherwise read to the end of `$all` in one call; the
   * page ends there instead, with the position reached. Default 10 000.
   */
  readAllScanLimit?: number;
  /** How a subscription whose connection drops is reopened. */
  resubscribe?: Partial<ResubscribePolicy>;
  /** Dispose the client on close(). Default: false for a client given to the constructor. */
  ownsClient?: boolean;
  /** Seals personal fields on append and opens them on read (libs/personal-data). Without it they are stored in clear. */
  personalData?: PersonalDataCodec;
}

export interface EventStoreDbConnectOptions extends Omit<EventStoreDbEventStoreOptions, 'ownsClient'> {
  /** `esdb://host:2113?tls=false`, `esdb+discover://...`: EventStoreDB's connection string. */
  connectionString: string;
  /** Read once before returning, so a wrong address fails at start. Default true. */
  verifyConnection?: boolean;
}

/** An expected revision no stream can reach: an append with it fails and tells the stream's revision. */
const PROBE_REVISION = 1n << 62n;
const SCAN_PAGE = 256;
const HEAD_PAGE = 64;
const DEFAULT_SUBSCRIPTION_BATCH = 500;
/** Metadata writes retried after another metadata write came between read and write. */
const METADATA_ATTEMPTS = 3;

const metastreamOf = (streamId: StreamId): string => `$$${streamId}`;

/** Checks and deletes of an 'exists' delete, when appends keep coming in between. */
const EXISTS_DELETE_ATTEMPTS = 3;

/** The oldest server the adapter runs on. */
const MIN_SERVER = { major: 23, minor: 10 };

/** Sends of one append in all, and the pauses between them (100, 200, 400 ms). */
const APPEND_ATTEMPTS = 4;
const APPEND_RETRY: BackoffPolicy = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 };

/** Expected revisions under which the server recognises a retry only from its cache of recent writes. */
const isBestEffort = (expected: ExpectedRevision): boolean => expected === 'any' || expected === 'exists';

const collect = async <T>(read: AsyncIterable<T>): Promise<T[]> => {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
};

/** Where and what the client's ParseError expected, without the string itself (it may hold a password). */
const parseErrorDetail = (error: unknown): string => {
  if (typeof error !== 'object' || error === null || !('expected' in error) || !('location' in error)) return '';
  const { expected, location } = error;
  if (typeof expected !== 'string' || !Array.isArray(location) || typeof location[0] !== 'number') return '';
  return `: at character ${location[0]}, expected ${expected}`;
};

const positiveInteger = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(value)}`, [
    { path: name, constraints: { [name]: 'must be a positive integer' } },
  ]);
};

/** The client's stream read options of a port read, checked. */
export const toEsdbReadStreamOptions = (options: ReadStreamOptions): EsdbReadStreamOptions => {
  const direction = options.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidArgumentError(`direction must be 'forwards' or 'backwards', got ${JSON.stringify(direction)}`, [
      { path: 'direction', constraints: { direction: "must be 'forwards' or 'backwards'" } },
    ]);
  }
  const from = options.from ?? (direction === 'forwards' ? 'start' : 'end');
  let fromRevision: EsdbReadStreamOptions['fromRevision'];
  if (from === 'start') fromRevision = ESDB_START;
  else if (from === 'end') fromRevision = END;
  else if (typeof from === 'number' && Number.isSafeInteger(from) && from >= 0) fromRevision = BigInt(from);
  else {
    throw new InvalidArgumentError(`from must be 'start', 'end' or a revision >= 0, got ${JSON.stringify(from)}`, [
      { path: 'from', constraints: { from: "must be 'start', 'end' or a revision >= 0" } },
    ]);
  }
  return {
    direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
    fromRevision,
    maxCount: assertMaxCount(options.maxCount, Number.MAX_SAFE_INTEGER),
  };
};

/**
 * The EventStore port on EventStoreDB (gRPC client `@eventstore/db-client` 6.x, server 23.10 or
 * later). What maps how, and where EventStoreDB differs from the contract, is written down in
 * the adapter's section of docs/architecture.md; the comments here say why each step is there.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly catalogue: EventCatalogue;
  private readonly personalData: PersonalDataCodec | undefined;
  private readonly idempotencyScanLimit: number;
  private readonly readAllChunkSize: number;
  private readonly readAllScanLimit: number;
  private readonly resubscribe: ResubscribePolicy;
  private readonly ownsClient: boolean;
  private readonly subscriptions = new Set<EventStoreDbAllSubscription>();
  private closing: Promise<void> | undefined;

  /** Connects with a connection string; the store owns the client and disposes it on close(). */
  static async connect(options: EventStoreDbConnectOptions): Promise<EventStoreDbEventStore> {
    const { connectionString, verifyConnection = true, ...rest } = options;
    if (typeof connectionString !== 'string' || connectionString.trim() === '') {
      throw new InvalidArgumentError('an EventStoreDB connection string is required (esdb://host:2113?tls=false)', [
        { path: 'connectionString', constraints: { isNotEmpty: 'must be an esdb:// connection string' } },
      ]);
    }
    if (/[?&]throwOnAppendFailure=false(?:&|$)/i.test(connectionString)) {
      throw new InvalidArgumentError('the EventStoreDB connection string must not set throwOnAppendFailure=false', [
        { path: 'connectionString', constraints: { throwOnAppendFailure: 'must stay true' } },
      ]);
    }
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(connectionString);
    } catch (error) {
      // The parser's message quotes the whole string, credentials included: say where, not what.
      throw new InvalidArgumentError(`the EventStoreDB connection string is not valid${parseErrorDetail(error)}`, [
        { path: 'connectionString', constraints: { connectionString: 'must be an esdb:// or esdb+discover:// connection string' } },
      ]);
    }
    const store = new EventStoreDbEventStore(client, { ...rest, ownsClient: true });
    if (verifyConnection) {
      try {
        await store.headPosition();
        await assertSupportedServer(client);
      } catch (error) {
        await store.close().catch(() => undefined);
        throw error;
      }
    }
    return store;
  }

  constructor(
    private readonly client: EventStoreDBClient,
    options: EventStoreDbEventStoreOptions,
  ) {
    // A refused append must throw: with throwOnAppendFailure=false the batch append reports the
    // stream's revision wrongly (6.2.1 converts a boolean), and the revision probe relies on it.
    if ((client as unknown as { throwOnAppendFailure?: unknown }).throwOnAppendFailure === false) {
      throw new InvalidArgumentError('the EventStoreDB client must keep throwOnAppendFailure=true', [
        { path: 'client', constraints: { throwOnAppendFailure: 'must stay true' } },
      ]);
    }
    this.catalogue = options.catalogue;
    this.personalData = options.personalData;
    this.idempotencyScanLimit = positiveInteger(options.idempotencyScanLimit, 10_000, 'idempotencyScanLimit');
    this.readAllChunkSize = positiveInteger(options.readAllChunkSize, 1_000, 'readAllChunkSize');
    this.readAllScanLimit = positiveInteger(options.readAllScanLimit, 10_000, 'readAllScanLimit');
    const resubscribe = { ...DEFAULT_RESUBSCRIBE, ...options.resubscribe };
    this.resubscribe = {
      attempts: positiveInteger(resubscribe.attempts, DEFAULT_RESUBSCRIBE.attempts, 'resubscribe.attempts'),
      initialDelayMs: positiveInteger(resubscribe.initialDelayMs, DEFAULT_RESUBSCRIBE.initialDelayMs, 'resubscribe.initialDelayMs'),
      maxDelayMs: positiveInteger(resubscribe.maxDelayMs, DEFAULT_RESUBSCRIBE.maxDelayMs, 'resubscribe.maxDelayMs'),
    };
    this.ownsClient = options.ownsClient ?? false;
  }

  // ---------------------------------------------------------------- append

  /**
   * A transient failure sends the same batch again, same ids included: after NotLeader at once
   * (nothing was written, the client has found the leader), after a timeout or a lost
   * connection after a short pause (it may have been written; the retry is then recognised as
   * an idempotent write, or found by the checks that caller ids get).
   */
  async append(streamId: StreamId, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    const checked = prepareAppend(this.catalogue, streamId, events, options.expectedRevision);
    // Sealed once, before the first attempt: sealing is deterministic, and retries compare what was stored.
    const prepared = this.personalData ? { ...checked, events: (await this.personalData.seal([checked]))[0] } : checked;
    // Ids the caller chose can come back in a retry; generated ones cannot, so those appends
    // need no idempotency checks and stay one round trip, until the adapter itself retries.
    const callerIds = events.some((event) => event.id !== undefined);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(prepared, callerIds || attempt > 1);
      } catch (error) {
        if (!(error instanceof EventStoreUnavailableError) || attempt >= APPEND_ATTEMPTS || this.closing) throw error;
        if (!(error.cause instanceof NotLeaderError)) await sleep(backoffDelay(attempt, APPEND_RETRY));
      }
    }
  }

  /**
   * Refused, after the same validation as on PostgreSQL: the 6.2.1 client has no atomic write to
   * several streams (KurrentDB 25.1's multi-stream append is a v2 gRPC service that only the
   * @kurrent/kurrentdb-client 1.x knows), and appending stream by stream would break the port's
   * promise that a failed call wrote nothing. See docs/architecture.md, "The EventStoreDB event store".
   */
  appendToStreams(appends: readonly StreamAppend[]): Promise<MultiStreamAppendResult> {
    return Promise.resolve().then(() => {
      prepareStreamAppends(this.catalogue, appends);
      throw new MultiStreamAppendUnsupportedError(
        'EventStoreDB',
        'the @eventstore/db-client 6.2.1 this adapter runs on cannot reach the multi-stream append of KurrentDB 25.1, and writing stream by stream would not be atomic',
      );
    });
  }

  private async appendOnce(
    prepared: { streamId: StreamId; events: PreparedEvent[]; expectedRevision: ExpectedRevision },
    callerIds: boolean,
  ): Promise<AppendResult> {
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(prepared.streamId, prepared.events.map((event, index, all) => toEventData(event, index, all.length)), {
        expectedRevision: toEsdbExpectedRevision(prepared.expectedRevision),
      });
    } catch (error) {
      if (isWrongExpectedVersion(error)) {
        return this.onConflict(prepared, callerIds, fromEsdbCurrentRevision(error.actualVersion));
      }
      if (isStreamDeleted(error) && prepared.expectedRevision === 'exists' && !(await this.isTombstoned(prepared.streamId))) {
        // The server answers STREAM_EXISTS on a soft-deleted stream with "stream deleted"; to
        // the port that stream has no event, which is a wrong expected revision, not a tombstone.
        return this.onConflict(prepared, callerIds, -1);
      }
      throw toPortError(error, { streamId: prepared.streamId, expected: prepared.expectedRevision });
    }
    if (!result.success) {
      // Only with throwOnAppendFailure=false on a client given to the constructor; the client's
      // batch append then reports a wrong current revision, so it is read again.
      return this.onConflict(prepared, callerIds, await this.lastRevision(prepared.streamId));
    }
    return this.confirm(prepared, callerIds, result);
  }

  /**
   * After a successful append. EventStoreDB answers success both for a new write and for a
   * retry it recognised, and it compares ids only. It recognises a retry for good only at an
   * exact expected revision or NO_STREAM (it reads the events at that revision); with ANY or
   * STREAM_EXISTS only while its in-memory cache of recent writes still holds the first write,
   * and after a restart, a leader change or an eviction it writes the batch again.
   * With caller ids the adapter reads the revisions the append occupies: the stored events
   * must be these (same ids, type, data and metadata, from one append: see APPEND_SLOT_KEY),
   * else it is an IdempotencyConflictError; a retry of part of an append answers with that
   * append's last event. With ANY or STREAM_EXISTS it also looks for an earlier copy of the
   * batch (idempotencyScanLimit events back): found, this call wrote a second copy, and it
   * answers with the first one's result, or refuses when the first one held another payload.
   * The second copy stays in the stream.
   */
  private async confirm(
    prepared: { streamId: StreamId; events: PreparedEvent[]; expectedRevision: ExpectedRevision },
    callerIds: boolean,
    result: EsdbAppendResult,
  ): Promise<AppendResult> {
    const nextRevision = toRevisionNumber(result.nextExpectedRevision);
    if (!callerIds && isRealPosition(result.position)) {
      // A new write: the server's position is that of the last event appended.
      return { nextRevision, position: packPosition(result.position) };
    }
    const { streamId, events } = prepared;
    const first = nextRevision - events.length + 1;
    const stored = first >= 0 ? await this.readBatch(streamId, first, events.length) : [];
    const comparison = compareStoredBatch(streamId, stored, events);
    if (comparison.kind === 'same') {
      // The server also recognises a retry of the first events of an append, and answers with the
      // retry's own last revision: the answer is that of the append's last event.
      const written = await this.endOfAppend(streamId, stored, comparison.lastRevision);
      if (!isBestEffort(prepared.expectedRevision) || first === 0) return written;
      return (await this.findPriorAppend(streamId, events, first - 1)) ?? written;
    }
    if (comparison.kind === 'changed') throw new IdempotencyConflictError(comparison.eventId, comparison.reason);
    // The batch is not where the answer puts it (an idempotent answer naming the stream's current
    // revision rather than the first append's), or stream metadata hides it (maxCount, maxAge):
    // look for it.
    const prior = await this.findPriorAppend(streamId, events);
    if (prior) return prior;
    if (isRealPosition(result.position)) return { nextRevision, position: packPosition(result.position) };
    // Written, but the server gave no position and the events cannot be read back: the head of
    // $all is at or after them, which is enough to read one's own write.
    return { nextRevision, position: await this.headPosition() };
  }

  /**
   * The server refused the expected revision. With caller ids this may be a retry of an append
   * that did go through (for instance first sent with 'any', retried with 'no_stream'), which
   * the server only recognises at the expected revision: the adapter looks for the batch in the
   * stream and answers with the first result, or refuses a reused id.
   */
  private async onConflict(
    prepared: { streamId: StreamId; events: PreparedEvent[]; expectedRevision: ExpectedRevision },
    callerIds: boolean,
    actual: number,
  ): Promise<AppendResult> {
    // After a refused exact revision the server has itself compared the events after it; a
    // retried batch can only be among those written since the caller's revision.
    const expected = prepared.expectedRevision;
    if (callerIds && actual >= 0) {
      const lowest = typeof expected === 'number' ? expected + 1 : 0;
      const prior = actual >= lowest ? await this.findPriorAppend(prepared.streamId, prepared.events, actual, lowest) : undefined;
      if (prior) return prior;
    }
    throw new WrongExpectedRevisionError(prepared.streamId, expected, actual);
  }

  /**
   * Reads the stream newest first (from `before`, or its end, down to `lowest`), up to
   * idempotencyScanLimit events, for any id of the batch. Found: the batch must be stored whole and unchanged from
   * where it starts (its first result is returned), else the id was reused
   * (IdempotencyConflictError). Not found: undefined.
   */
  private async findPriorAppend(
    streamId: StreamId,
    events: readonly PreparedEvent[],
    before?: number,
    lowest = 0,
  ): Promise<AppendResult | undefined> {
    const index = new Map(events.map((event, i) => [event.id, i]));
    let from: bigint | typeof END = before === undefined ? END : BigInt(before);
    let scanned = 0;
    while (scanned < this.idempotencyScanLimit) {
      const left = from === END ? Number.POSITIVE_INFINITY : Number(from) - lowest + 1;
      const maxCount = Math.min(SCAN_PAGE, this.idempotencyScanLimit - scanned, left);
      if (maxCount <= 0) return undefined;
      const page = await this.readStreamRawOrEmpty(streamId, { direction: BACKWARDS, fromRevision: from, maxCount });
      for (const stored of page) {
        const at = index.get(stored.id);
        if (at === undefined) continue;
        const start = stored.revision - at;
        const batch = start >= 0 ? await this.readBatch(streamId, start, events.length) : [];
        const comparison = compareStoredBatch(streamId, batch, events);
        if (comparison.kind === 'same') return this.endOfAppend(streamId, batch, comparison.lastRevision);
        if (comparison.kind !== 'absent') throw new IdempotencyConflictError(comparison.eventId, comparison.reason);
        throw new IdempotencyConflictError(stored.id, `in another append to stream ${streamId} (revision ${stored.revision})`);
      }
      scanned += page.length;
      const oldest = page[page.length - 1];
      if (page.length < maxCount || oldest === undefined || oldest.revision <= lowest) return undefined;
      from = BigInt(oldest.revision - 1);
    }
    return undefined;
  }

  /**
   * The result of the append that `batch` repeats (all of it, or part): the revision and
   * position of its last event, at `lastRevision` (from the batch's append slots). When that event
   * cannot be read (stream metadata hides it), the batch's own last event answers, as before.
   */
  private async endOfAppend(streamId: StreamId, batch: readonly StoredEvent[], lastRevision: number): Promise<AppendResult> {
    let last: RecordedEvent = batch[batch.length - 1];
    if (lastRevision > last.revision) {
      const [end] = await this.readBatch(streamId, lastRevision, 1);
      if (end?.revision === lastRevision) last = end;
    }
    return { nextRevision: last.revision, position: last.position };
  }

  /** The stored (not upcast) events at revisions first .. first+count-1, with their append slots, read on the leader. */
  private readBatch(streamId: StreamId, first: number, count: number): Promise<StoredEvent[]> {
    return this.readStreamRawOrEmpty(streamId, { direction: FORWARDS, fromRevision: BigInt(first), maxCount: count }, true);
  }

  // ---------------------------------------------------------------- reads

  /** Opens and upcasts stored events, unless the caller asked for them as stored. */
  private decode(events: RecordedEvent[], raw: boolean): Promise<RecordedEvent[]> {
    return decodeStoredEvents(events, raw, this.personalData, (event) => this.catalogue.upcast(event));
  }

  async readStream(streamId: StreamId, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertStreamId(streamId);
    const stored = await this.readStreamRaw(streamId, toEsdbReadStreamOptions(options));
    return this.decode(stored, false);
  }

  /**
   * Stored events of a stream as the port's envelopes, not upcast (with their append slots when
   * `withSlots`, for the adapter's own comparisons only). Throws the port's errors.
   */
  private async readStreamRaw(streamId: StreamId, options: EsdbReadStreamOptions, withSlots = false): Promise<StoredEvent[]> {
    const resolved = await mapErrors(() => collect(this.client.readStream(streamId, options)), { streamId });
    const events: StoredEvent[] = [];
    for (const { event, commitPosition } of resolved) {
      if (event === undefined) continue;
      const position = positionOf(event, { commitPosition });
      if (position === undefined) {
        throw new Error(
          `EventStoreDB gave no position for event ${event.id} of ${streamId}: the adapter needs EventStoreDB 23.10 or later`,
        );
      }
      const recorded = toRecordedEvent(event, position);
      if (recorded === undefined) {
        throw new Error(`event ${event.id} of ${streamId} was not written through the event store: ${foreignReason(event)}`);
      }
      const appendSlot = withSlots ? appendSlotOf(event.metadata) : undefined;
      events.push(appendSlot ? { ...recorded, appendSlot } : recorded);
    }
    return events;
  }

  /** readStreamRaw on the leader (so a write just made is visible), with no stream read as no events. */
  private async readStreamRawOrEmpty(streamId: StreamId, options: EsdbReadStreamOptions, withSlots = false): Promise<StoredEvent[]> {
    try {
      return await this.readStreamRaw(streamId, { ...options, requiresLeader: true }, withSlots);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  private async isTombstoned(streamId: StreamId): Promise<boolean> {
    try {
      await this.readStreamRawOrEmpty(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      return false;
    } catch (error) {
      if (error instanceof StreamDeletedError) return true;
      throw error;
    }
  }

  /** Revision of the stream's last readable event, -1 when there is none. */
  private async lastRevision(streamId: StreamId): Promise<number> {
    const [last] = await this.readStreamRawOrEmpty(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    return last?.revision ?? -1;
  }

  /**
   * One page of `$all`. The 6.x client reads `$all` without a server-side filter, so the adapter
   * reads chunks and filters them itself, which also tells it exactly how far it has looked:
   * nextPosition is the last event examined, matching or not, so the next page starts after
   * events that did not match. The server reads from a position inclusively; the port's
   * fromPosition is exclusive, so the event at it is skipped. A call examines at most
   * readAllScanLimit events: a selective filter gets short or empty pages that move on.
   */
  async readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    const fromPosition = options.fromPosition === undefined ? START : assertPosition(options.fromPosition);
    const maxCount = assertMaxCount(options.maxCount, DEFAULT_READ_PAGE);
    // U+0000 or a lone surrogate is refused as in the PostgreSQL adapter, naming the field, before any request.
    assertEventFilter(options.filter);
    const filter = normalizeFilter(options.filter);
    if (matchesNothing(filter)) return { events: [], nextPosition: fromPosition, isEnd: true };
    const events: RecordedEvent[] = [];
    let cursor = fromPosition;
    let examined = 0;
    for (;;) {
      // From a position the server starts with the event at it: one more, so a chunk always moves on.
      const chunkSize = Math.min(this.readAllChunkSize, this.readAllScanLimit - examined);
      const requested = chunkSize + (cursor === START ? 0 : 1);
      const chunk = await this.readAllChunk(cursor, FORWARDS, requested);
      const reachedEnd = chunk.length < requested;
      for (const { event } of chunk) {
        if (event === undefined) continue;
        const position = packPosition(event.position);
        if (position <= cursor) continue;
        const recorded = matchesFilter(filter, event.streamId, event.type) ? toRecordedEvent(event, position) : undefined;
        if (recorded !== undefined) {
          // A full page stops before the next matching event: it belongs to the next page.
          if (events.length >= maxCount) return { events: await this.decode(events, options.raw ?? false), nextPosition: cursor, isEnd: false };
          events.push(recorded);
        }
        cursor = position;
        examined++;
      }
      // The rest of the chunk did not match: the page ends there; isEnd only if $all did too.
      if (reachedEnd || events.length >= maxCount || examined >= this.readAllScanLimit) {
        return { events: await this.decode(events, options.raw ?? false), nextPosition: cursor, isEnd: reachedEnd };
      }
    }
  }

  private readAllChunk(from: Position | typeof END, direction: typeof FORWARDS | typeof BACKWARDS, maxCount: number) {
    const fromPosition: ReadPosition = from === END ? END : toReadPosition(from);
    return mapErrors(() => collect<AllStreamResolvedEvent>(this.client.readAll({ fromPosition, direction, maxCount })));
  }

  /** The newest event that readAll would return: `$all` read backwards, past system and foreign events. */
  async headPosition(): Promise<Position> {
    let from: Position | typeof END = END;
    for (;;) {
      const chunk = await this.readAllChunk(from, BACKWARDS, HEAD_PAGE);
      let moved = false;
      for (const { event } of chunk) {
        if (event === undefined) continue;
        const position = packPosition(event.position);
        if (from !== END && position >= from) continue;
        if (!isSystemEvent(event.streamId, event.type) && foreignReason(event) === undefined) return position;
        from = position;
        moved = true;
      }
      if (chunk.length < HEAD_PAGE || !moved) return START;
    }
  }

  /**
   * A catch-up subscription to `$all` with the filter on the server (see serverFilter), its
   * checkpoints carried into pages, system and filtered-out events skipped. The server's
   * fromPosition is exclusive, like the port's; START means the beginning.
   */
  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const fromPosition = options.fromPosition === undefined ? START : assertPosition(options.fromPosition);
    assertEventFilter(options.filter);
    const filter = normalizeFilter(options.filter);
    const batchSize = positiveInteger(options.batchSize, DEFAULT_SUBSCRIPTION_BATCH, 'batchSize');
    const onServer = serverFilter(filter);
    const subscription: EventStoreDbAllSubscription = new EventStoreDbAllSubscription({
      fromPosition,
      batchSize,
      resubscribe: this.resubscribe,
      open: (after, onCheckpoint) =>
        this.client.subscribeToAll(
          {
            fromPosition: toReadPosition(after),
            filter: { ...onServer, checkpointReached: (_subscription, position) => onCheckpoint(packPosition(position)) },
          },
          { highWaterMark: batchSize },
        ),
      positionOf: ({ event }) => (event === undefined ? undefined : packPosition(event.position)),
      convert: ({ event }) => {
        if (event === undefined || !matchesFilter(filter, event.streamId, event.type)) return undefined;
        return toRecordedEvent(event, packPosition(event.position));
      },
      decode: (events) => this.decode(events, options.raw ?? false),
      head: () => this.headPosition(),
      onClose: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  // ---------------------------------------------------------------- stream state and metadata

  async streamState(streamId: StreamId): Promise<StreamState | undefined> {
    assertStreamId(streamId);
    let last: RecordedEvent | undefined;
    try {
      [last] = await this.readStreamRaw(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1, requiresLeader: true });
    } catch (error) {
      // A tombstone hides the stream's revision from reads and from the probe alike.
      if (error instanceof StreamDeletedError) return { revision: -1, deleted: true, tombstoned: true, metadata: {} };
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    const { metadata } = await mapErrors(() => this.client.getStreamMetadata(streamId, { requiresLeader: true }), { streamId });
    if (last === undefined && metadata === undefined) return undefined;
    // Nothing readable (soft-deleted, truncated, expired) does not mean no revision: appends
    // continue after the last event written, so the adapter asks the server for it.
    const revision = last?.revision ?? (await this.probeRevision(streamId));
    const deleted = isSoftDeleteMarker(metadata?.truncateBefore);
    const state: StreamState = { revision, deleted, tombstoned: false, metadata: fromEsdbStreamMetadata(metadata) };
    // What the server keeps as "deleted" (Int64.MaxValue) becomes what it will set on the next
    // append, and what the PostgreSQL adapter reports: everything up to the last event is gone.
    if (deleted) state.metadata.truncateBefore = revision + 1;
    return state;
  }

  /**
   * The revision of a stream's last event even when none can be read: an append with an
   * expected revision no stream can have is refused, and the refusal names the current
   * revision. Nothing is written. Used only by streamState, when reads show no event.
   */
  private async probeRevision(streamId: StreamId): Promise<number> {
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(streamId, jsonEvent({ type: 'ClientelaRevisionProbe', data: {} }), {
        expectedRevision: PROBE_REVISION,
      });
    } catch (error) {
      if (isWrongExpectedVersion(error)) return fromEsdbCurrentRevision(error.actualVersion);
      if (error instanceof AccessDeniedError) {
        throw new EventStoreDbPermissionError(
          `the revision of ${streamId}, which has no readable event, is known only from a refused append: the user needs write permission on it`,
          error,
        );
      }
      throw toPortError(error, { streamId });
    }
    // No stream reaches the probe's revision, and throwOnAppendFailure=false is refused.
    throw new Error(`EventStoreDB answered the revision probe of ${streamId} without refusing it (success: ${result.success})`);
  }

  /**
   * Read, merge, then write at the metadata stream's revision: a write in between (a delete is
   * one) makes the server refuse, and the adapter reads again rather than overwrite it.
   */
  async setStreamMetadata(streamId: StreamId, metadata: StreamMetadata): Promise<void> {
    assertStreamId(streamId);
    const next = toEsdbStreamMetadata(metadata);
    for (let attempt = 1; ; attempt++) {
      const current = await this.readMetadataRecord(streamId);
      if (current !== undefined && isSoftDeleted(current.data)) throw new StreamSoftDeletedError(streamId);
      try {
        await this.client.appendToStream(
          metastreamOf(streamId),
          jsonEvent({ type: '$metadata', data: mergeStreamMetadata(next, current?.data) }),
          { expectedRevision: current?.revision ?? NO_STREAM },
        );
        return;
      } catch (error) {
        if (isWrongExpectedVersion(error) && attempt < METADATA_ATTEMPTS) continue;
        throw toPortError(error, { streamId });
      }
    }
  }

  /** The last event of the stream's metadata stream (`$$id`), read on the leader. */
  private async readMetadataRecord(streamId: StreamId): Promise<{ revision: bigint; data: unknown } | undefined> {
    try {
      const [last] = await mapErrors(
        () =>
          collect(this.client.readStream(metastreamOf(streamId), { direction: BACKWARDS, fromRevision: END, maxCount: 1, requiresLeader: true })),
        { streamId },
      );
      if (last?.event === undefined) return undefined;
      return { revision: last.event.revision, data: last.event.isJson ? last.event.data : undefined };
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
  }

  async deleteStream(streamId: StreamId, options: DeleteOptions = {}): Promise<void> {
    await this.remove('soft', streamId, options);
  }

  async tombstoneStream(streamId: StreamId, options: DeleteOptions = {}): Promise<void> {
    await this.remove('hard', streamId, options);
  }

  private async remove(kind: 'soft' | 'hard', streamId: StreamId, options: DeleteOptions): Promise<void> {
    assertStreamId(streamId);
    const expected = assertExpectedRevision(options.expectedRevision ?? 'any');
    if (expected === 'exists') {
      await this.removeExisting(kind, streamId);
      return;
    }
    const expectedRevision = toEsdbDeleteExpectedRevision(expected);
    try {
      if (kind === 'soft') await this.client.deleteStream(streamId, { expectedRevision });
      else await this.client.tombstoneStream(streamId, { expectedRevision });
    } catch (error) {
      // Deleting a stream that has no events is refused as a wrong expected revision even with
      // ANY or NO_STREAM: to the caller, as in the PostgreSQL adapter, the stream is not there.
      if (
        isWrongExpectedVersion(error) &&
        (expected === 'any' || expected === 'no_stream') &&
        fromEsdbCurrentRevision(error.actualVersion) < 0
      ) {
        throw new StreamNotFoundError(streamId);
      }
      throw toPortError(error, { streamId, expected });
    }
  }

  /**
   * The client's deletes take no STREAM_EXISTS: the adapter reads the revision and deletes at
   * exactly it, so the check and the delete are one step; an append in between makes the
   * server refuse, and the adapter checks again.
   */
  private async removeExisting(kind: 'soft' | 'hard', streamId: StreamId): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const revision = await this.lastRevision(streamId);
      if (revision < 0) throw new WrongExpectedRevisionError(streamId, 'exists', -1);
      const expectedRevision = BigInt(revision);
      try {
        if (kind === 'soft') await this.client.deleteStream(streamId, { expectedRevision });
        else await this.client.tombstoneStream(streamId, { expectedRevision });
        return;
      } catch (error) {
        if (isWrongExpectedVersion(error) && attempt < EXISTS_DELETE_ATTEMPTS) continue;
        throw toPortError(error, { streamId, expected: 'exists' });
      }
    }
  }

  // ---------------------------------------------------------------- lifecycle

  async close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
      if (this.ownsClient) await this.client.dispose();
    })();
    return this.closing;
  }
}

/**
 * Refuses servers before 23.10: they resume a subscription from a position by skipping the next
 * record, which after a scavenge can be a real event, and they send no caught-up signal.
 */
export const assertSupportedServer = async (client: EventStoreDBClient): Promise<void> => {
  // `capabilities` is protected in 6.2.1's types: the client's cached answer to the server-features call.
  const features = await mapErrors(() => (client as unknown as { capabilities: Promise<{ serverVersion: string }> }).capabilities);
  const match = /^(\d+)\.(\d+)/.exec(features.serverVersion);
  const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (major > MIN_SERVER.major || (major === MIN_SERVER.major && minor >= MIN_SERVER.minor)) return;
  throw new InvalidArgumentError(
    `EventStoreDB ${features.serverVersion} is not supported: the adapter needs ${MIN_SERVER.major}.${MIN_SERVER.minor} or later`,
    [{ path: 'connectionString', constraints: { serverVersion: `must name an EventStoreDB ${MIN_SERVER.major}.${MIN_SERVER.minor} or later` } }],
  );
};

/** The store on a connection string (it owns its client), or on a client of the caller's (it does not). */
export const createEventStoreDbEventStore = async (
  options: EventStoreDbConnectOptions | (EventStoreDbEventStoreOptions & { client: EventStoreDBClient }),
): Promise<EventStoreDbEventStore> => {
  if ('client' in options) {
    const { client, ...rest } = options;
    return new EventStoreDbEventStore(client, rest);
  }
  return EventStoreDbEventStore.connect(options);
};
