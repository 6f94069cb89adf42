import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '@clientela/contracts';
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
