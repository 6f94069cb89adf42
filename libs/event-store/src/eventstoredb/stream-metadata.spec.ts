import { InvalidArgumentError } from '../port/errors';
import { fromEsdbStreamMetadata, isSoftDeleteMarker, mergeStreamMetadata, toEsdbStreamMetadata } from './stream-metadata';

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

  it('replaces the metadata, keeping only what the port does not model (ACL, cache control)', () => {
    expect(mergeStreamMetadata({ owner: 'x' }, { truncateBefore: 3, acl: { readRoles: ['ops'] }, cacheControl: 5, old: 1 })).toEqual({
      owner: 'x',
      acl: { readRoles: ['ops'] },
      cacheControl: 5,
    });
    expect(mergeStreamMetadata({ truncateBefore: 0 }, { truncateBefore: 3 })).toEqual({ truncateBefore: 0 });
    expect(mergeStreamMetadata({ owner: 'x' }, { truncateBefore: DELETED })).toEqual({ owner: 'x' });
    expect(mergeStreamMetadata({ owner: 'x' }, undefined)).toEqual({ owner: 'x' });
  });
});
