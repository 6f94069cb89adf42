import type { Pool } from 'pg';

/** What one dependency or component says about itself. */
export interface ReadinessResult {
  status: 'up' | 'down';
  /** Shown in the readiness answer: an error, a lag, a position… */
  details?: Record<string, unknown>;
}

/** One line of `GET /health/ready`: a database, a broker, a consumer, a projection's lag. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<ReadinessResult> | ReadinessResult;
}

const withTimeout = <T>(work: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref()),
  ]);

/** PostgreSQL answers `select 1` within the timeout. */
export const postgresReadiness = (pool: Pool, name = 'postgres', timeoutMs = 2_000): ReadinessCheck => ({
  name,
  check: async () => {
    try {
      await withTimeout(pool.query('select 1'), timeoutMs, name);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', details: { error: error instanceof Error ? error.message : String(error) } };
    }
  },
});

/**
 * A component that tracks its own health (relay, consumer: their `health()` lists the
 * dependencies they reach); down when any of them is down.
 */
export const componentReadiness = (
  name: string,
  health: () => ReadonlyArray<{ name?: string; component?: string; status: string; error?: string }>,
): ReadinessCheck => ({
  name,
  check: () => {
    const parts = health();
    const down = parts.filter((part) => part.status !== 'up');
    return { status: down.length === 0 ? 'up' : 'down', details: { parts } };
  },
});
