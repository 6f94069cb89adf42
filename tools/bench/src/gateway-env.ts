/**
 * The gateway's rate limit where a bench's one key never meets it (autocannon sends thousands of
 * requests a second): the limiter still runs on every request, as in production, and costs what it costs.
 */
export const UNREFUSING_RATE_LIMIT: Record<string, string> = { RATE_LIMIT_PER_SECOND: '1000000' };
