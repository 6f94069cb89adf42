import { LocalProjectionWrites } from './local-writes';

describe('LocalProjectionWrites', () => {
  it('has a clock only while every named projection is written here', () => {
    const writes = new LocalProjectionWrites();
    expect(writes.clock(['a', 'b'])).toBeUndefined();
    writes.led('a', true);
    expect(writes.clock(['a', 'b'])).toBeUndefined();
    writes.led('b', true);
    expect(writes.clock(['a', 'b'])).toEqual(expect.any(Number));
    writes.led('a', false);
    expect(writes.clock(['a', 'b'])).toBeUndefined();
  });

  it('moves the clock with every transaction and change of leadership of a named projection, and only then', () => {
    const writes = new LocalProjectionWrites();
    writes.led('a', true);
    writes.led('b', true);
    const seen = [writes.clock(['a', 'b'])];
    writes.moved('c'); // not one of those named
    expect(writes.clock(['a', 'b'])).toBe(seen[0]);
    writes.moved('a');
    seen.push(writes.clock(['a', 'b']));
    writes.moved('b');
    seen.push(writes.clock(['a', 'b']));
    writes.led('a', false);
    writes.led('a', true); // the lease came back: another process may have written meanwhile
    seen.push(writes.clock(['a', 'b']));
    expect(new Set(seen).size).toBe(seen.length);
  });
});
