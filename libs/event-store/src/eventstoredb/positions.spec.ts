import { START as ESDB_START } from '@eventstore/db-client';
import { START, formatPosition, parsePosition } from '@clientela/contracts';
import { InvalidArgumentError } from '../port/errors';
import { assertPosition, isRealPosition, packPosition, toReadPosition, unpackPosition } from './positions';

const U64 = (1n << 64n) - 1n;

describe('EventStoreDB positions', () => {
  it.each([
    { commit: 0n, prepare: 0n },
    { commit: 0n, prepare: 1n },
    { commit: 1n, prepare: 0n },
    { commit: 1234n, prepare: 1234n },
    { commit: 987_654_321_000n, prepare: 987_654_320_512n },
    { commit: (1n << 63n) - 1n, prepare: (1n << 63n) - 1n },
    { commit: U64, prepare: U64 },
  ])('packs and unpacks %p without loss', (position) => {
    const packed = packPosition(position);
    expect(unpackPosition(packed)).toEqual(position);
    expect(parsePosition(formatPosition(packed))).toBe(packed);
  });

  it('sorts packed positions in $all order: by commit, then prepare', () => {
    const inLogOrder = [
      { commit: 10n, prepare: 10n },
      { commit: 10n, prepare: 11n },
      { commit: 10n, prepare: U64 - 1n },
      { commit: 11n, prepare: 0n },
      { commit: 11n, prepare: 5n },
      { commit: 1n << 40n, prepare: 3n },
    ];
    const packed = inLogOrder.map(packPosition);
    const sorted = [...packed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(sorted).toEqual(packed);
    for (let i = 1; i < packed.length; i++) expect(packed[i] > packed[i - 1]).toBe(true);
  });

  it('keeps every real position above START', () => {
    expect(packPosition({ commit: 0n, prepare: 1n }) > START).toBe(true);
    expect(packPosition({ commit: 1n, prepare: 0n }) > START).toBe(true);
  });

  it('refuses halves outside 0..2^64-1 and packed values outside 0..2^128-1', () => {
    expect(() => packPosition({ commit: -1n, prepare: 0n })).toThrow(RangeError);
    expect(() => packPosition({ commit: 0n, prepare: U64 + 1n })).toThrow(RangeError);
    expect(() => unpackPosition(-1n)).toThrow(RangeError);
    expect(() => unpackPosition(1n << 128n)).toThrow(RangeError);
  });

  it('maps START to the beginning of $all and any other position to its two halves', () => {
    expect(toReadPosition(START)).toBe(ESDB_START);
    expect(toReadPosition()).toBe(ESDB_START);
    expect(toReadPosition((7n << 64n) | 5n)).toEqual({ commit: 7n, prepare: 5n });
  });

  it('tells real positions from the "no position" of old servers', () => {
    expect(isRealPosition({ commit: 5n, prepare: 5n })).toBe(true);
    expect(isRealPosition(undefined)).toBe(false);
    expect(isRealPosition({ commit: U64, prepare: U64 })).toBe(false);
  });

  it('refuses a caller position that is not one of its positions', () => {
    expect(assertPosition(0n)).toBe(0n);
    expect(assertPosition((3n << 64n) | 3n)).toBe((3n << 64n) | 3n);
    for (const bad of [-1n, 1n << 128n, 5, '5', null, undefined]) {
      expect(() => assertPosition(bad)).toThrow(InvalidArgumentError);
    }
  });
});
