import { TokenBuckets, type BucketPolicy, type Take } from './token-buckets';

/** The gateway's limits (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST_SECONDS, AUTH_FAILURES_PER_MINUTE); 0 turns one off. */
export interface RateLimitConfig {
  /** Requests a second an API key may make on average, unless the key has its own. */
  perSecond: number;
  /** A key may spend this many seconds of its rate at once. */
  burstSeconds: number;
  /** Refused credentials an address may present a minute before it is refused outright. */
  authFailuresPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = { perSecond: 100, burstSeconds: 2, authFailuresPerMinute: 60 };

/** What a request under /api/v1 may do now, and the headers that say so. */
export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  retryAfterSeconds: number;
  /** The bucket it was judged by. */
  policy?: BucketPolicy;
}

const NO_LIMIT: RateDecision = { allowed: true, headers: {}, retryAfterSeconds: 0 };

/**
 * Two limits, both token buckets in this process's memory (each gateway instance counts its own
 * requests: behind N gateways a key gets N times its rate):
 * - per API key, on every request it makes: `perSecond` (or the key's own) with bursts of
 *   `burstSeconds` of it; answered with RateLimit-Limit and RateLimit-Remaining, 429 past it;
 * - per client address, on refused credentials: past `authFailuresPerMinute` the address gets 429
 *   before its key is even looked at, so keys cannot be guessed at the speed of the network.
 */
export class RateLimits {
  private readonly keys = new TokenBuckets();
  private readonly failures = new TokenBuckets();
  private readonly failurePolicy: BucketPolicy;

  constructor(private readonly config: RateLimitConfig) {
    this.failurePolicy = { perSecond: config.authFailuresPerMinute / 60, burst: config.authFailuresPerMinute };
  }

  /** Spends one of the key's requests. */
  request(principal: { kind: string; id: string; rateLimitPerSecond: number | null }): RateDecision {
    const perSecond = principal.rateLimitPerSecond ?? this.config.perSecond;
    if (perSecond <= 0) return NO_LIMIT;
    const policy = { perSecond, burst: Math.max(1, Math.round(perSecond * this.config.burstSeconds)) };
    const take = this.keys.take(`${principal.kind}:${principal.id}`, policy);
    return this.decision(take, policy);
  }

  /** Whether an address may present credentials now (spends nothing). */
  mayAuthenticate(address: string): RateDecision {
    if (this.config.authFailuresPerMinute <= 0) return NO_LIMIT;
    const take = this.failures.peek(address, this.failurePolicy);
    return take.allowed ? NO_LIMIT : { allowed: false, headers: {}, retryAfterSeconds: Math.ceil(take.retryAfterSeconds) };
  }

  /** Counts a refused credential against the address. */
  failedAuthentication(address: string): void {
    if (this.config.authFailuresPerMinute > 0) this.failures.take(address, this.failurePolicy);
  }

  private decision(take: Take, policy: BucketPolicy): RateDecision {
    // The IETF draft's fields (draft-ietf-httpapi-ratelimit-headers): the window is the burst's refill time.
    const headers: Record<string, string> = {
      'ratelimit-limit': String(policy.burst),
      'ratelimit-remaining': String(take.remaining),
      'ratelimit-reset': String(Math.ceil(take.resetSeconds)),
    };
    return { allowed: take.allowed, headers, retryAfterSeconds: Math.ceil(take.retryAfterSeconds), policy };
  }
}
