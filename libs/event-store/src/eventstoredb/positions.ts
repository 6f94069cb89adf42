import { START as ESDB_START, type Position as EsdbPosition, type ReadPosition } from '@eventstore/db-client';
import { START, type Position } from '@clientela/contracts';
import { InvalidArgumentError } from '../port/errors';

/**
 * EventStoreDB places an event in `$all` with two 64-bit log positions, `{ commit, prepare }`,
 * and orders `$all` by commit, then prepare. The port wants one bigint that sorts the same way:
 * `(commit << 64) | prepare` does, and unpacks losslessly.
 */
const UINT64_MAX = (1n << 64n) - 1n;
const PACKED_MAX = (1n << 128n) - 1n;

export const packPosition = ({ commit, prepare }: EsdbPosition): Position => {
  if (commit < 0n || commit > UINT64_MAX || prepare < 0n || prepare > UINT64_MAX) {
    throw new RangeError(`EventStoreDB position {commit: ${commit}, prepare: ${prepare}} is outside 0..2^64-1`);
  }
  return (commit << 64n) | prepare;
};

export const unpackPosition = (position: Position): EsdbPosition => {
  if (position < 0n || position > PACKED_MAX) {
    throw new RangeError(`position ${position} is not a packed EventStoreDB position`);
  }
  return { commit: position >> 64n, prepare: position & UINT64_MAX };
};

/**
 * A position the server really gave to an event. Servers before 22.6 answer stream reads with
 * no position or with 2^64-1 in both halves ("no position"); those are not real.
 */
export const isRealPosition = (position: EsdbPosition | undefined): position is EsdbPosition =>
  position !== undefined &&
  position.commit >= 0n &&
  position.prepare >= 0n &&
  position.commit < UINT64_MAX &&
  position.prepare < UINT64_MAX;

/** Checks a caller's position (a checkpoint) before it goes to the server. */
export const assertPosition = (value: unknown, field = 'fromPosition'): Position => {
  if (typeof value === 'bigint' && value >= 0n && value <= PACKED_MAX) return value;
  throw new InvalidArgumentError(
    `${field} must be a position of this store (a bigint from 0 to 2^128-1), got ${typeof value === 'bigint' ? value.toString() : JSON.stringify(value)}`,
    [{ path: field, constraints: { position: 'must be a position read from this store' } }],
  );
};

/** The port's START is "before everything": EventStoreDB's START. Anything else unpacks. */
export const toReadPosition = (position: Position = START): ReadPosition =>
  position === START ? ESDB_START : unpackPosition(position);
