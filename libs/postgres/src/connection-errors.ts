import { UnavailableError } from '@clientela/contracts';

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

// Node socket errors; 08xxx connection exception; 57P01-57P03 admin shutdown, crash shutdown,
// cannot connect now; 53300 too many connections.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300']);

/**
 * True when the database could not be reached or went away mid-query (restart, failover,
 * network), or a library already said so (UnavailableError): worth retrying later, unlike an
 * error in what we asked. The one test for it in the workspace.
 */
export const isConnectionError = (error: unknown): boolean => {
  if (error instanceof UnavailableError) return true;
  const pg = asPgError(error);
  if (!pg) return false;
  // Not every error with a `code` is pg's: kafkajs protocol errors carry a number there.
  const code = typeof pg.code === 'string' ? pg.code : '';
  if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  return /Connection terminated|connection timeout|connection error|Client was closed|timeout exceeded when trying to connect|Connection refused|not queryable/i.test(
    pg.message,
  );
};
