import type { NewEvent, Position, RecordedEvent, StreamId } from '@clientela/contracts';

/**
 * What the caller believes about the stream before an append:
 * - `'no_stream'`: it has no events (new, or soft-deleted and never written since);
 * - `'exists'`: it has at least one event;
 * - `'any'`: no check;
 * - a number: the revision of its last event (revisions start at 0).
 */
export type ExpectedRevision = 'no_stream' | 'any' | 'exists' | number;

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** The revision of the last event appended: pass it as expectedRevision next time. */
  nextRevision: number;
  /** The position of the last event appended: send it as X-Min-Position to read your write. */
  position: Position;
}

/** One stream's part of `appendToStreams`. */
export interface StreamAppend {
  streamId: StreamId;
  events: readonly NewEvent[];
  /** Checked against the stream as the earlier StreamAppends of the same call leave it. Default 'any'. */
  expectedRevision?: ExpectedRevision;
}

/** What became of one StreamAppend, at its index in the call. */
export interface StreamAppendResult {
  streamId: StreamId;
  /** The revision of its last event: of this call's write, or of the first write when a duplicate. */
  nextRevision: number;
  /** The position of its last event (likewise). */
  position: Position;
  /** All its events were already stored by one earlier append: nothing was written for it. */
  duplicate: boolean;
}

export interface MultiStreamAppendResult {
  /** One per StreamAppend, in call order. */
  streams: StreamAppendResult[];
  /** The greatest position in `streams`: send it as X-Min-Position to read every write of the call. */
  position: Position;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Default: the start (forwards) or the end (backwards). */
  from?: number | 'start' | 'end';
  direction?: Direction;
  maxCount?: number;
}

/**
 * Restricts reads of all events. Categories and types are OR-ed within, AND-ed across; an
 * absent list does not filter, an empty list matches nothing.
 */
export interface EventFilter {
  categories?: readonly string[];
  eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Read events after this position (exclusive). Default START. */
  fromPosition?: Position;
  maxCount?: number;
  filter?: EventFilter;
  /** Deliver events as stored, without upcasting (the relay forwards them unchanged). */
  raw?: boolean;
}

export interface ReadAllPage {
  events: RecordedEvent[];
  /**
   * Where the next read continues from. With a filter it can move past events that did not
   * match, so a subscriber checkpoints it rather than the last event's position.
   */
  nextPosition: Position;
  /** True when the page reached the end of what is readable now. */
  isEnd: boolean;
}

export interface SubscribeToAllOptions {
  /** Deliver events after this position (exclusive): the subscriber's own checkpoint. */
  fromPosition?: Position;
  filter?: EventFilter;
  /** Events fetched per read while catching up. */
  batchSize?: number;
  /** Deliver events as stored, without upcasting. */
  raw?: boolean;
}

/** What a subscription delivers at a time: a batch of events and where it has got to. */
export interface SubscriptionPage {
  events: RecordedEvent[];
  /**
   * Checkpoint after this page: every event up to here that matches the filter has been
   * delivered. It can move past the last event (filtered-out events), and a page can be
   * empty when only the checkpoint moved, or when the subscription has just caught up.
   */
  position: Position;
  /** True when the page reached the end of what is readable now (the subscription is live). */
  caughtUp: boolean;
}

/**
 * Catches up from its position, then follows live. Iterate it for single events, or
 * `pages()` for batches with checkpoints (projections and the relay do). Ends when closed,
 * or throws if the store fails for good; transient outages are retried inside.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  pages(): AsyncIterable<SubscriptionPage>;
  close(): Promise<void>;
}

/** Stream metadata as EventStoreDB knows it (`$tb`, `$maxCount`, `$maxAge`) plus custom keys. */
export interface StreamMetadata {
  /** Events below this revision are no longer read from the stream. */
  truncateBefore?: number;
  maxCount?: number;
  /** Seconds. */
  maxAge?: number;
  custom?: Record<string, unknown>;
}

export interface StreamState {
  /** Revision of the last event, or -1 when the stream has none (EventStoreDB also says -1 once tombstoned). */
  revision: number;
  /** Soft-deleted: reads say not found, a new append brings the stream back with revisions continuing. */
  deleted: boolean;
  /** Hard-deleted: gone for good, appends are refused. */
  tombstoned: boolean;
  metadata: StreamMetadata;
}

export interface DeleteOptions {
  expectedRevision?: ExpectedRevision;
}

/**
 * The port every service writes and reads events through. Two adapters: PostgreSQL
 * (the embedded default) and EventStoreDB. Above it, no code knows which one runs.
 */
export interface EventStore {
  /**
   * Appends atomically. Every event is validated against the catalogue first; nothing is
   * written if one fails. Idempotent on event ids: re-appending the same ids returns the
   * first result and writes nothing; the same id with another stream or payload is an error.
   * On EventStoreDB that holds for good only with an exact expected revision or 'no_stream'
   * (what the aggregate repository sends); with 'any' or 'exists' a retry the server no longer
   * remembers is written a second time, and the answer is still the first result (or the
   * error) only while the first write is among the stream's last idempotencyScanLimit events.
   */
  append(streamId: StreamId, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several streams at once: all StreamAppends are written, or none (one transaction
   * and one round trip on PostgreSQL). Each is what `append` would do with it, in call order:
   * validated first (an InvalidStreamAppendError names its index and field), its expected revision
   * checked against the stream as the earlier StreamAppends of the call leave it (a conflict is a
   * WrongExpectedRevisionError listing every StreamAppend that failed in `conflicts`), and
   * idempotent on its event ids on its own: one whose events were all stored by one earlier append
   * is a duplicate (nothing written, its expected revision not checked, the first result
   * answered) while the others are written; one mixing stored and new ids, or reusing an id with
   * another stream or payload, is an IdempotencyConflictError and nothing is written. The same
   * stream may appear more than once: its StreamAppends get consecutive revisions in call order.
   * An event id may appear only once in a call. On EventStoreDB the 6.2.1 client cannot reach the
   * server's multi-stream append, so the adapter refuses the call (MultiStreamAppendUnsupportedError)
   * after validating it; see docs/architecture.md.
   */
  appendToStreams(appends: readonly StreamAppend[]): Promise<MultiStreamAppendResult>;
  /** Events of one stream, upcast to their current schema. Throws StreamNotFoundError / StreamDeletedError. */
  readStream(streamId: StreamId, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** One page of all events in global order, from a position. */
  readAll(options?: ReadAllOptions): Promise<ReadAllPage>;
  subscribeToAll(options?: SubscribeToAllOptions): Subscription;
  /** The position of the newest event readable now (START when empty). */
  headPosition(): Promise<Position>;
  streamState(streamId: StreamId): Promise<StreamState | undefined>;
  /** Replaces the stream's metadata (keys left out are cleared). EventStoreDB needs maxCount and maxAge >= 1. */
  setStreamMetadata(streamId: StreamId, metadata: StreamMetadata): Promise<void>;
  /** Soft delete. */
  deleteStream(streamId: StreamId, options?: DeleteOptions): Promise<void>;
  /** Hard delete: the stream id can never be used again. */
  tombstoneStream(streamId: StreamId, options?: DeleteOptions): Promise<void>;
  close(): Promise<void>;
}
