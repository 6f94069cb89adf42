/** How fast a bucket refills and how much it holds: `perSecond` on average, `burst` at once. */
export interface BucketPolicy {
  perSecond: number;
  burst: number;
}

/** What one take found: whether it was allowed, what is left, and when to come back. */
export interface Take {
  allowed: boolean;
  /** Whole tokens left after this take. */
  remaining: number;
  /** Seconds until one token is there again (0 when one is). */
  retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
  policy: BucketPolicy;
}

/** What a bucket holds at `now`: what it had, plus its rate since, up to its burst. */
const tokensAt = ({ tokens, at, policy }: Bucket, now: number): number => Math.min(policy.burst, tokens + ((now - at) / 1_000) * policy.perSecond);

/**
 * Token buckets by key, in memory: a key may spend `burst` at once and gets `perSecond` back each
 * second, so a client that keeps to its rate is never refused and one that bursts is smoothed,
 * without the double burst a fixed window allows at its edges. Buckets that have filled up are
 * the same as no bucket, so they are dropped as the map is swept; `maxKeys` bounds the memory
 * whatever the keys (the oldest bucket goes first).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private takesSinceSweep = 0;

  constructor(
    private readonly maxKeys = 100_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Spends `cost` tokens of `key`'s bucket if it has them. */
  take(key: string, policy: BucketPolicy, cost = 1): Take {
    const now = this.now();
    const bucket = this.refilled(key, policy, now);
    const allowed = bucket.tokens >= cost;
    if (allowed) bucket.tokens -= cost;
    this.buckets.delete(key); // re-inserted: the map's order is the order of last use
    this.buckets.set(key, bucket);
    if (++this.takesSinceSweep >= 1_000 || this.buckets.size > this.maxKeys) this.sweep(now);
    return this.answer(bucket, allowed, cost);
  }

  /** Whether `key` has `cost` tokens now, spending none. */
  peek(key: string, policy: BucketPolicy, cost = 1): Take {
    const bucket = this.buckets.get(key);
    if (!bucket) return { allowed: true, remaining: Math.floor(policy.burst), retryAfterSeconds: 0, resetSeconds: 0 };
    const now = this.now();
    const tokens = tokensAt({ ...bucket, policy }, now);
    return this.answer({ tokens, at: now, policy }, tokens >= cost, cost);
  }

  private refilled(key: string, policy: BucketPolicy, now: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: policy.burst, at: now, policy };
    bucket.policy = policy;
    bucket.tokens = tokensAt(bucket, now);
    bucket.at = now;
    return bucket;
  }

  private answer({ tokens, policy }: Bucket, allowed: boolean, cost: number): Take {
    const missing = Math.max(0, cost - tokens);
    return {
      allowed,
      remaining: Math.max(0, Math.floor(tokens)),
      retryAfterSeconds: allowed ? 0 : missing / policy.perSecond,
      resetSeconds: (policy.burst - tokens) / policy.perSecond,
    };
  }

  /** Drops full buckets, then the least recently used beyond `maxKeys`. */
  private sweep(now: number): void {
    this.takesSinceSweep = 0;
    for (const [key, bucket] of this.buckets) {
      if (tokensAt(bucket, now) >= bucket.policy.burst) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}
