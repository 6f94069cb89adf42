import type { Pool, PoolClient } from 'pg';

/** The transaction that holds the store's readable horizon back. */
export interface HorizonHolder {
  database: string | null;
  pid: number;
  /** Seconds since the transaction began. */
  ageSeconds: number;
  /** `active`, `idle in transaction`… */
  state: string | null;
  applicationName: string | null;
}

/**
 * The open transactions of the whole PostgreSQL cluster that have written (hold a transaction
 * id) and began at least `olderThanSeconds` ago, oldest first. The store's global order is read
 * below the oldest running transaction id, cluster-wide, so while the first of these is open no
 * subscriber, relay or projection gets past it. Other roles' sessions show only with
 * `pg_read_all_stats` (or `pg_monitor`).
 */
export const openWriteTransactions = async (db: Pool | PoolClient, olderThanSeconds: number, limit = 5): Promise<HorizonHolder[]> => {
  const { rows } = await db.query<{ datname: string | null; pid: number; age: number; state: string | null; application_name: string | null }>(
    `select datname, pid, extract(epoch from clock_timestamp() - xact_start)::float8 as age, state, application_name
       from pg_stat_activity
      where backend_xid is not null and pid <> pg_backend_pid()
        and xact_start <= clock_timestamp() - make_interval(secs => $1)
      order by xact_start
      limit $2`,
    [olderThanSeconds, limit],
  );
  return rows.map((row) => ({ database: row.datname, pid: row.pid, ageSeconds: row.age, state: row.state, applicationName: row.application_name || null }));
};
