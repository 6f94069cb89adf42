import { timeOrderedUuid } from './event-ids';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID of the RFC variant carrying the time in milliseconds', () => {
    const now = Date.UTC(2026, 11, 2, 7, 0, 0, 123);
    const id = timeOrderedUuid(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  it('sorts by the time it was made, and never repeats', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => timeOrderedUuid(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    const firstOfEachMs = ids.filter((_, i) => i % 100 === 0);
    expect([...firstOfEachMs].sort()).toEqual(firstOfEachMs);
  });
});
