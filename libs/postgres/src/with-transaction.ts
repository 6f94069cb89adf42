import type { Pool, PoolClient } from 'pg';
import { isConnectionError } from './connection-errors';

export interface TransactionOptions<T> {
  /** Rolls back instead of committing when it answers false for the result (work that decided to undo itself). */
  commitIf?: (result: T) => boolean;
}

/**
 * Runs `work` in one transaction on a pooled connection: commit on success, rollback on any
 * error. A connection that broke on the way (the server went away, or the client emitted
 * 'error' between queries) is discarded, not handed back to the pool for the next caller.
 */
export const withTransaction = async <T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: TransactionOptions<T> = {},
): Promise<T> => {
  const client = await pool.connect();
  let broken = false;
  // A checked-out client with no 'error' listener would crash the process when its server goes away.
  const onError = () => (broken = true);
  client.on('error', onError);
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query(options.commitIf && !options.commitIf(result) ? 'rollback' : 'commit');
    return result;
  } catch (error) {
    broken ||= isConnectionError(error);
    if (!broken) await client.query('rollback').catch(() => (broken = true));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
};
