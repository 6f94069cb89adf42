import { TokenBuckets } from './token-buckets';

describe('TokenBuckets', () => {
  let clock = 0;
  const buckets = (maxKeys?: number) => new TokenBuckets(maxKeys, () => clock);
  const policy = { perSecond: 10, burst: 20 };
  beforeEach(() => {
    clock = 1_000;
  });

  it('lets a burst through at once, then refuses with the wait until the next token', () => {
    const limiter = buckets();
    const takes = Array.from({ length: 21 }, () => limiter.take('a', policy));
    expect(takes.filter((t) => t.allowed)).toHaveLength(20);
    expect(takes[19]).toEqual({ allowed: true, remaining: 0, retryAfterSeconds: 0, resetSeconds: 2 });
    expect(takes[20]).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 0.1, resetSeconds: 2 });
  });

  it('refills at its rate, never above the burst, and keeps keys apart', () => {
    const limiter = buckets();
    for (let i = 0; i < 20; i++) limiter.take('a', policy);
    clock += 250; // 2.5 tokens back
    expect([limiter.take('a', policy).allowed, limiter.take('a', policy).allowed, limiter.take('a', policy).allowed]).toEqual([true, true, false]);
    expect(limiter.take('b', policy)).toMatchObject({ allowed: true, remaining: 19 });
    clock += 60_000;
    expect(limiter.take('a', policy)).toMatchObject({ allowed: true, remaining: 19 });
  });

  it('lets a client that keeps to its rate through forever', () => {
    const limiter = buckets();
    const refused = Array.from({ length: 5_000 }, () => {
      clock += 100;
      return limiter.take('steady', policy).allowed;
    }).filter((allowed) => !allowed);
    expect(refused).toHaveLength(0);
  });

  it('peeks without spending', () => {
    const limiter = buckets();
    expect(limiter.peek('a', policy)).toMatchObject({ allowed: true, remaining: 20 });
    for (let i = 0; i < 20; i++) limiter.take('a', policy);
    expect(limiter.peek('a', policy)).toMatchObject({ allowed: false, retryAfterSeconds: 0.1 });
    expect(limiter.peek('a', policy)).toMatchObject({ allowed: false, retryAfterSeconds: 0.1 });
  });

  it('forgets full buckets and keeps at most maxKeys, dropping the least recently used', () => {
    const limiter = buckets(3);
    for (const key of ['a', 'b', 'c', 'd']) limiter.take(key, policy);
    expect(limiter.size).toBe(3);
    expect(limiter.peek('a', policy).remaining).toBe(20); // dropped: a full bucket again
    expect(limiter.peek('d', policy).remaining).toBe(19);
    clock += 10_000;
    for (let i = 0; i < 1_000; i++) limiter.take('e', { perSecond: 1_000_000, burst: 1_000_000 });
    expect(limiter.size).toBe(1); // b, c and d had filled up again
  });
});
