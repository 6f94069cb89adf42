/**
 * The one retry policy of the floor: the relay, the consumers, the projection runner, the
 * PostgreSQL subscription and the EventStoreDB adapter wait with it. It lives here, below the
 * event store, so that every library above can share it.
 */
export interface BackoffPolicy {
  /** First delay, ms. */
  initialMs: number;
  /** Cap, ms. */
  maxMs: number;
  /** Each delay is the previous one times this. */
  factor: number;
  /** Share of each delay that is random (0..1), so that many consumers do not retry in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2 };

/** Delay before retry number `attempt` (1 = the first retry): bounded exponential, with jitter below the nominal. */
export const backoffDelay = (attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number => {
  const nominal = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(nominal * (1 - policy.jitter * random()));
};

/**
 * Resolves after `ms`, or at once when `signal` aborts (a closing subscription or consumer
 * should not wait out its pause). `unref`: the wait alone does not keep the process alive.
 */
export const sleep = (ms: number, signal?: AbortSignal, options: { unref?: boolean } = {}): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    if (options.unref) timer.unref();
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
