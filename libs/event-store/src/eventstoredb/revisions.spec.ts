import { ANY, NO_STREAM, STREAM_EXISTS } from '@eventstore/db-client';
import {
  fromEsdbCurrentRevision,
  fromEsdbExpectedRevision,
  toEsdbDeleteExpectedRevision,
  toEsdbExpectedRevision,
  toRevisionNumber,
} from './revisions';

describe('EventStoreDB revisions', () => {
  it.each([
    ['no_stream', NO_STREAM],
    ['any', ANY],
    ['exists', STREAM_EXISTS],
    [0, 0n],
    [41, 41n],
    [Number.MAX_SAFE_INTEGER, BigInt(Number.MAX_SAFE_INTEGER)],
  ] as const)('maps the expected revision %p to %p', (port, esdb) => {
    expect(toEsdbExpectedRevision(port)).toBe(esdb);
    expect(fromEsdbExpectedRevision(esdb)).toBe(port);
  });

  it('deletes with ANY where the port says exists (the adapter checks existence first)', () => {
    expect(toEsdbDeleteExpectedRevision('exists')).toBe(ANY);
    expect(toEsdbDeleteExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEsdbDeleteExpectedRevision(3)).toBe(3n);
  });

  it('reads the current revision as a number, -1 for no stream', () => {
    expect(fromEsdbCurrentRevision(NO_STREAM)).toBe(-1);
    expect(fromEsdbCurrentRevision(-1n)).toBe(-1);
    expect(fromEsdbCurrentRevision(0n)).toBe(0);
    expect(fromEsdbCurrentRevision(7n)).toBe(7);
  });

  it('reads the negative constants of older servers', () => {
    expect(fromEsdbExpectedRevision(-1n)).toBe('no_stream');
    expect(fromEsdbExpectedRevision(-2n)).toBe('any');
    expect(fromEsdbExpectedRevision(-4n)).toBe('exists');
  });

  it('refuses revisions beyond what a number holds exactly', () => {
    expect(() => toRevisionNumber(BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toThrow(RangeError);
    expect(() => toRevisionNumber(-2n)).toThrow(RangeError);
  });
});
