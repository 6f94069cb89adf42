import { InvalidArgumentError } from '../port/errors';
import { fromEsdbStreamMetadata, isSoftDeleted, isSoftDeleteMarker, mergeStreamMetadata, toEsdbStreamMetadata } from './stream-metadata';

/** What JSON.parse makes of the $tb that a soft delete writes (Int64.MaxValue). */
const DELETED = JSON.parse('9223372036854775807') as number;

describe('EventStoreDB stream metadata', () => {
  it('writes truncateBefore, maxCount, maxAge and custom keys next to them', () => {
    expect(toEsdbStreamMetadata({ truncateBefore: 2, maxCount: 10, maxAge: 60, custom: { owner: 'sales' } })).toEqual({
      truncateBefore: 2,
      maxCount: 10,
      maxAge: 60,
      owner: 'sales',
    });
  });

  it.each([
    [{ truncateBefore: -1 }],
    [{ maxCount: 0 }],
    [{ maxAge: 1.5 }],
    [{ custom: { $tb: 3 } }],
    [{ custom: { maxCount: 3 } }],
    [{ custom: [1] }],
    [{ other: 1 }],
  ])('refuses %p', (metadata) => {
    expect(() => toEsdbStreamMetadata(metadata as never)).toThrow(InvalidArgumentError);
  });

  it('reads the port metadata back, with custom keys apart', () => {
    expect(fromEsdbStreamMetadata({ truncateBefore: 2, maxCount: 10, owner: 'sales', acl: { readRoles: ['$all'] } })).toEqual({
      truncateBefore: 2,
      maxCount: 10,
      custom: { owner: 'sales' },
    });
    expect(fromEsdbStreamMetadata(undefined)).toEqual({});
  });

  it('reports the soft-delete marker as deleted, not as a truncation', () => {
    expect(isSoftDeleteMarker(DELETED)).toBe(true);
    expect(isSoftDeleteMarker(2)).toBe(false);
    expect(isSoftDeleteMarker(undefined)).toBe(false);
    expect(fromEsdbStreamMetadata({ truncateBefore: DELETED })).toEqual({});
  });

  it('replaces the metadata in the server\'s JSON, keeping only what the port does not model (ACL, cache control)', () => {
    expect(mergeStreamMetadata({ owner: 'x' }, { $tb: 3, $acl: { $r: ['ops'] }, $cacheControl: 5, old: 1 })).toEqual({
      owner: 'x',
      $acl: { $r: ['ops'] },
      $cacheControl: 5,
    });
    expect(mergeStreamMetadata({ truncateBefore: 0, maxCount: 2, maxAge: 9 }, { $tb: 3 })).toEqual({ $tb: 0, $maxCount: 2, $maxAge: 9 });
    expect(mergeStreamMetadata({ owner: 'x' }, undefined)).toEqual({ owner: 'x' });
    expect(mergeStreamMetadata({ owner: 'x' }, new Uint8Array([1]))).toEqual({ owner: 'x' });
  });

  it('knows a soft-deleted stream by its stored metadata', () => {
    expect(isSoftDeleted({ $tb: DELETED })).toBe(true);
    expect(isSoftDeleted({ $tb: 3 })).toBe(false);
    expect(isSoftDeleted(undefined)).toBe(false);
  });
});
