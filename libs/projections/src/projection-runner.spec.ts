import { rebuildProgress } from './projection-runner';

describe('rebuildProgress', () => {
  const first = (740n << 64n) | 1n;
  const head = (900n << 64n) | 5000n;
  it('runs from the first event (0) to the head (1), not from position 0', () => {
    expect(rebuildProgress(first, head, first)).toBe(0);
    expect(rebuildProgress(first, head, head)).toBe(1);
    expect(rebuildProgress(first, head, (820n << 64n) | 2500n)).toBeCloseTo(0.5, 2);
  });
  it('stays within 0..1 and says 1 when there is nothing to read', () => {
    expect(rebuildProgress(first, head, 0n)).toBe(0);
    expect(rebuildProgress(first, head, head + 10n)).toBe(1);
    expect(rebuildProgress(head, head, head)).toBe(1);
  });
});
