import {
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  StreamDeletedError as EsdbStreamDeletedError,
  StreamNotFoundError as EsdbStreamNotFoundError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { ConflictError, isClientelaError } from '@clientela/contracts';
import type { ExpectedRevision } from '../port/event-store';
import {
  EventStoreUnavailableError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from '../port/errors';
import { fromEsdbCurrentRevision, fromEsdbExpectedRevision } from './revisions';

/**
 * EventStoreDB keeps a soft delete as a value in the stream's metadata (`$tb` = Int64.MaxValue),
 * and any metadata written after it replaces it and brings the old events back. JavaScript cannot
 * write that value again (JSON numbers lose the last digits), so the adapter refuses.
 */
export class StreamSoftDeletedError extends ConflictError {
  override readonly code = 'stream_soft_deleted';
  constructor(readonly streamId: string) {
    super(`stream ${streamId} is deleted; EventStoreDB cannot change its metadata without bringing its events back`);
  }
  override details(): Record<string, unknown> {
    return { streamId: this.streamId };
  }
}

/**
 * The EventStoreDB user lacks a right the adapter needs: a deployment fault, not the caller's,
 * so it stays a plain error (500) that says which right.
 */
export class EventStoreDbPermissionError extends Error {
  constructor(message: string, cause: unknown) {
    super(message);
    this.name = 'EventStoreDbPermissionError';
    this.cause = cause;
  }
}

export const isWrongExpectedVersion = (error: unknown): error is WrongExpectedVersionError =>
  error instanceof WrongExpectedVersionError;

export const isStreamNotFound = (error: unknown): error is EsdbStreamNotFoundError =>
  error instanceof EsdbStreamNotFoundError;

export const isStreamDeleted = (error: unknown): error is EsdbStreamDeletedError => error instanceof EsdbStreamDeletedError;

/**
 * The server cannot be reached or cannot answer now; a retry later may work. `NotLeaderError`
 * is here because the client reconnects to the leader on the next call. "Failed to discover"
 * is what the client throws (as a plain Error) when cluster discovery gives up.
 */
export const isUnavailable = (error: unknown): boolean =>
  error instanceof UnavailableError ||
  error instanceof DeadlineExceededError ||
  error instanceof TimeoutError ||
  error instanceof NotLeaderError ||
  error instanceof CancelledError ||
  (error instanceof Error && /^Failed to discover after \d+ attempts/.test(error.message));

export interface ErrorContext {
  streamId?: string;
  /** The port's expected revision of the failed call, so the error carries exactly what the caller sent. */
  expected?: ExpectedRevision;
}

/** Turns a client error into the port's typed error; anything unknown is returned as it is. */
export const toPortError = (error: unknown, context: ErrorContext = {}): unknown => {
  if (isClientelaError(error)) return error;
  if (isWrongExpectedVersion(error)) {
    return new WrongExpectedRevisionError(
      context.streamId ?? error.streamName,
      context.expected ?? fromEsdbExpectedRevision(error.expectedVersion),
      fromEsdbCurrentRevision(error.actualVersion),
    );
  }
  if (isStreamNotFound(error)) return new StreamNotFoundError(context.streamId ?? error.streamName);
  if (isStreamDeleted(error)) return new StreamDeletedError(context.streamId ?? error.streamName);
  if (isUnavailable(error)) {
    const reason = error instanceof Error && error.message ? error.message : 'no answer';
    return new EventStoreUnavailableError(`EventStoreDB is unavailable: ${reason}`, error);
  }
  return error;
};

/**
 * Runs a client call and rethrows its failure as the port's error. A call refused by a node
 * that is no longer the leader is sent once more: the client has reconnected to the leader.
 * Only for calls that change nothing (reads).
 */
export const mapErrors = async <T>(action: () => Promise<T>, context: ErrorContext = {}): Promise<T> => {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof NotLeaderError)) throw toPortError(error, context);
  }
  try {
    return await action();
  } catch (error) {
    throw toPortError(error, context);
  }
};

/**
 * A subscription may be reopened after this: the server went away, ended the call, or failed it
 * with INTERNAL or UNKNOWN, which is what a call gets while a node restarts. Reopening reads
 * again from the last position received, so it can repeat nothing and lose nothing.
 */
export const isResubscribable = (error: unknown): boolean => isUnavailable(error) || error instanceof UnknownError;
