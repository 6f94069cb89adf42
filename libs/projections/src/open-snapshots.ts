import type { PoolClient } from 'pg';

/**
 * Waits until no other transaction of this database holds a snapshot taken before transaction
 * `xid` committed, or `timeoutMs` passed. PostgreSQL resolves a table name with the newest
 * catalogue but reads its rows under the transaction's snapshot: a REPEATABLE READ reader whose
 * snapshot predates the end of a rebuilt copy would read part of it once the copy is renamed in.
 * Resolves true when every open snapshot sees `xid`, false on timeout.
 */
export const waitForSnapshotsAfter = async (client: PoolClient, xid: string, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // age() grows with distance into the past: an xmin at least as old as xid may not see it.
    const { rows } = await client.query<{ older: number }>(
      `select count(*)::int as older from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and backend_xmin is not null and age(backend_xmin) >= age(xid($1::xid8))`,
      [xid],
    );
    if (rows[0].older === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
