/** SQLSTATEs raised by append_events (see schema.ts). */
export const WRONG_REVISION = 'CE001';
export const STREAM_TOMBSTONED = 'CE002';
export const IDEMPOTENCY_CONFLICT = 'CE003';

export interface PgError extends Error {
  code?: string;
  detail?: string;
  constraint?: string;
}

/**
 * Errors from pg and from Node's sockets, read by shape: `instanceof Error` fails for errors
 * made in another realm (Node's own code under jest's sandbox, for one).
 */
export const asPgError = (error: unknown): PgError | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
    ? (error as PgError)
    : undefined;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * True when the database could not be reached or went away mid-query (restart, failover,
 * network): worth retrying later, unlike an error in what we asked.
 */
export const isConnectionError = (error: unknown): boolean => {
  const pg = asPgError(error);
  if (!pg) return false;
  const code = pg.code ?? '';
  if (CONNECTION_CODES.has(code)) return true;
  // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(pg.message);
};
