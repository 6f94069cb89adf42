import { ClientelaError, ConflictError, NotFoundError, UnavailableError, ValidationError, type FieldViolation } from '@clientela/contracts';
import type { ExpectedRevision } from './event-store';

const describeRevision = (revision: ExpectedRevision | number | undefined): string =>
  revision === undefined || revision === -1 ? 'no stream' : String(revision);

/** One StreamAppend of `appendToStreams` whose expected revision did not hold. */
export interface RevisionConflict {
  /** Its index in the call. */
  appendIndex: number;
  streamId: string;
  expected: ExpectedRevision;
  /** The stream's revision as the earlier StreamAppends of the call left it, -1 when it has none. */
  actual: number;
}

const describeConflict = (streamId: string, expected: ExpectedRevision, actual: number): string =>
  `stream ${streamId}: expected revision ${describeRevision(expected)}, but the stream is at ${describeRevision(actual)}`;

/**
 * Another writer got there first: reload, decide again, retry. From `appendToStreams` the first
 * conflict fills streamId, expected and actual, and `conflicts` lists them all.
 */
export class WrongExpectedRevisionError extends ConflictError {
  override readonly code = 'wrong_expected_revision';
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  /** Revision of the last event, -1 when the stream has none. */
  readonly actual: number;
  constructor(
    streamId: string,
    expected: ExpectedRevision,
    actual: number,
    /** Every StreamAppend of an appendToStreams call that failed its expected revision; empty from append. */
    readonly conflicts: readonly RevisionConflict[] = [],
  ) {
    super(
      conflicts.length === 0
        ? describeConflict(streamId, expected, actual)
        : `nothing written: ${conflicts.map((c) => `appends.${c.appendIndex}, ${describeConflict(c.streamId, c.expected, c.actual)}`).join('; ')}`,
    );
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }

  /** The error of an appendToStreams call whose StreamAppends `conflicts` (at least one) failed. */
  static ofStreamAppends(conflicts: readonly RevisionConflict[]): WrongExpectedRevisionError {
    const [first] = conflicts;
    return new WrongExpectedRevisionError(first.streamId, first.expected, first.actual, conflicts);
  }

  override details(): Record<string, unknown> {
    return {
      streamId: this.streamId,
      expectedRevision: this.expected,
      actualRevision: this.actual,
      ...(this.conflicts.length > 0 ? { conflicts: this.conflicts } : {}),
    };
  }
}

export class StreamNotFoundError extends NotFoundError {
  override readonly code = 'stream_not_found';
  constructor(readonly streamId: string) {
    super(`stream ${streamId} does not exist`);
  }
}

/** The stream was tombstoned (hard-deleted); it can never be read or written again. */
export class StreamDeletedError extends ConflictError {
  override readonly code = 'stream_deleted';
  constructor(
    readonly streamId: string,
    /** The StreamAppend of an appendToStreams call that wrote to it. */
    readonly appendIndex?: number,
  ) {
    super(`${appendIndex === undefined ? '' : `appends.${appendIndex}: `}stream ${streamId} is deleted for good`);
  }
  override details(): Record<string, unknown> {
    return { streamId: this.streamId, ...(this.appendIndex === undefined ? {} : { appendIndex: this.appendIndex }) };
  }
}

/** An event id was reused for another stream or another payload. */
export class IdempotencyConflictError extends ConflictError {
  override readonly code = 'idempotency_conflict';
  constructor(
    readonly eventId: string,
    reason: string,
    /** The StreamAppend of an appendToStreams call that holds the id. */
    readonly appendIndex?: number,
  ) {
    super(`${appendIndex === undefined ? '' : `appends.${appendIndex}: `}event id ${eventId} was already used ${reason}`);
  }
  override details(): Record<string, unknown> {
    return { eventId: this.eventId, ...(this.appendIndex === undefined ? {} : { appendIndex: this.appendIndex }) };
  }
}

/**
 * A StreamAppend of an appendToStreams call broke a rule of `append` (see prepareAppend): names
 * its index and, in the violations, the field (`appends.2.events.0.data.n`); the error `append`
 * would have thrown is the cause, and its code is `reason`.
 */
export class InvalidStreamAppendError extends ValidationError {
  override readonly code = 'invalid_stream_append';
  readonly reason: string;
  constructor(
    readonly appendIndex: number,
    readonly streamId: unknown,
    cause: ValidationError,
    eventIndex?: number,
  ) {
    const prefix = `appends.${appendIndex}.`;
    const eventPrefix = eventIndex === undefined ? '' : `events.${eventIndex}.`;
    const violations: FieldViolation[] = (cause.violations.length > 0 ? cause.violations : [{ path: '', constraints: { valid: cause.message } }]).map((v) => ({
      ...v,
      path: `${prefix}${v.path.startsWith('events.') || v.path === 'events' ? '' : eventPrefix}${v.path}`.replace(/\.$/, ''),
    }));
    super(`appends.${appendIndex} (stream ${String(streamId)}): ${cause.message}`, violations);
    this.reason = cause.code;
    this.cause = cause;
  }
  override details(): Record<string, unknown> {
    return { ...super.details(), appendIndex: this.appendIndex, reason: this.reason };
  }
}

/** The adapter cannot write to several streams atomically (EventStoreDB through its 6.2.1 client). */
export class MultiStreamAppendUnsupportedError extends ClientelaError {
  readonly code = 'multi_stream_append_unsupported';
  readonly status = 501;
  constructor(readonly adapter: string, reason: string) {
    super(`${adapter} cannot append to several streams atomically: ${reason}`);
  }
  override details(): Record<string, unknown> {
    return { adapter: this.adapter };
  }
}

export class InvalidArgumentError extends ValidationError {
  override readonly code = 'invalid_argument';
}

/** The store cannot be reached; the caller may retry later. */
export class EventStoreUnavailableError extends UnavailableError {
  override readonly code = 'event_store_unavailable';
  constructor(
    message: string,
    cause?: unknown,
  ) {
    super(message, 1);
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * The store failed in a way the adapter has no name for (an unexpected SQLSTATE, say): a bug or
 * a broken store, not bad input and not a lost connection. Says which operation failed and keeps
 * the store's own error as the cause.
 */
export class EventStoreError extends ClientelaError {
  readonly code = 'event_store_failed';
  readonly status = 500;
  constructor(
    /** The port's operation: `append`, `readStream`, `readAll`... */
    readonly operation: string,
    /** The store's error code (PostgreSQL's SQLSTATE), when it gave one. */
    readonly storeCode: string | undefined,
    cause: unknown,
  ) {
    // The driver's message stays in the cause (for logs): problem+json shows this message to clients.
    super(`event store failed in ${operation}${storeCode ? ` (SQLSTATE ${storeCode})` : ''}`);
    this.cause = cause;
  }
  override details(): Record<string, unknown> {
    return { operation: this.operation, storeCode: this.storeCode };
  }
}
