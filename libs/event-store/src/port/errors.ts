import { ClientelaError, ConflictError, NotFoundError, UnavailableError, ValidationError } from '@clientela/contracts';
import type { ExpectedRevision } from './event-store';

const describeRevision = (revision: ExpectedRevision | number | undefined): string =>
  revision === undefined || revision === -1 ? 'no stream' : String(revision);

/** Another writer got there first: reload, decide again, retry. */
export class WrongExpectedRevisionError extends ConflictError {
  override readonly code = 'wrong_expected_revision';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** Revision of the last event, -1 when the stream has none. */
    readonly actual: number,
  ) {
    super(
      `stream ${streamId}: expected revision ${describeRevision(expected)}, but the stream is at ${describeRevision(actual)}`,
    );
  }
  override details(): Record<string, unknown> {
    return { streamId: this.streamId, expectedRevision: this.expected, actualRevision: this.actual };
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
  constructor(readonly streamId: string) {
    super(`stream ${streamId} is deleted for good`);
  }
}

/** An event id was reused for another stream or another payload. */
export class IdempotencyConflictError extends ConflictError {
  override readonly code = 'idempotency_conflict';
  constructor(
    readonly eventId: string,
    reason: string,
  ) {
    super(`event id ${eventId} was already used ${reason}`);
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
