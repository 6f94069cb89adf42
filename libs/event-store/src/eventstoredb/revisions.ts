import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  type AppendExpectedRevision,
  type CurrentRevision,
  type ExpectedRevision as EsdbExpectedRevision,
} from '@eventstore/db-client';
import type { ExpectedRevision } from '../port/event-store';

/**
 * Revisions are the same numbers on both sides (0-based, the revision of the last event);
 * the port carries them as numbers, the client as bigints. "No stream" is -1 in the port
 * and NO_STREAM in the client.
 */
export const toEsdbExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'any':
      return ANY;
    case 'exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
};

/**
 * Deletes take no STREAM_EXISTS in the client: the adapter reads the revision and deletes at it
 * (see EventStoreDbEventStore.removeExisting), so 'exists' never reaches the client; ANY here.
 */
export const toEsdbDeleteExpectedRevision = (expected: ExpectedRevision): EsdbExpectedRevision => {
  const mapped = toEsdbExpectedRevision(expected);
  return mapped === STREAM_EXISTS ? ANY : mapped;
};

/** The client's idea of where a stream is, as the port's number: -1 when there is no stream. */
export const fromEsdbCurrentRevision = (current: CurrentRevision): number =>
  current === NO_STREAM ? -1 : toRevisionNumber(current);

/** What the caller expected, read back from a client error (used when the adapter has no context). */
export const fromEsdbExpectedRevision = (expected: AppendExpectedRevision): ExpectedRevision => {
  switch (expected) {
    case NO_STREAM:
      return 'no_stream';
    case ANY:
      return 'any';
    case STREAM_EXISTS:
      return 'exists';
    default:
      // Servers that answer with gRPC trailers send the old negative constants.
      if (expected === -2n) return 'any';
      if (expected === -4n) return 'exists';
      return expected < 0n ? 'no_stream' : toRevisionNumber(expected);
  }
};

export const toRevisionNumber = (revision: bigint): number => {
  if (revision < -1n || revision > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`stream revision ${revision} does not fit the port's revisions (-1..2^53-1)`);
  }
  return Number(revision);
};
