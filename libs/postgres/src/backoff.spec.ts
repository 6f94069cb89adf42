import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from the first delay up to the cap', () => {
    const policy = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 };
    expect([1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(attempt, policy))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('takes jitter off the nominal delay, never adds it', () => {
    const policy = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.5 };
    expect(backoffDelay(2, policy, () => 1)).toBe(100);
    expect(backoffDelay(2, policy, () => 0)).toBe(200);
  });
});
