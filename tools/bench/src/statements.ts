import { withClient } from './database';

/** One statement of a bench's databases as pg_stat_statements counted it (all its calls summed). */
export interface StatementFigures {
  calls: number;
  /** Time inside the server (planning not included): CPU and waits. */
  execMs: number;
  rows: number;
  walBytes: number;
  /** The normalised text, whitespace collapsed. */
  query: string;
}

export type StatementsResult = { available: true; statements: StatementFigures[] } | { available: false; reason: string };

/** The oid of the database `url` names: pg_stat_statements keeps it after the database is dropped. */
export const databaseOid = (url: string): Promise<number> =>
  withClient(url, async (client) => Number((await client.query<{ oid: string }>('select oid::text from pg_database where datname = current_database()')).rows[0].oid));

/**
 * The `top` statements by execution time that ran in the databases `oids` (a bench's, dropped or
 * not), read through the server's own database (`serverUrl`). Needs `pg_stat_statements` in
 * `shared_preload_libraries` and the extension created in that database; otherwise says which is
 * missing. Nothing on the server is changed.
 */
export const readStatements = async (serverUrl: string, oids: readonly number[], top: number): Promise<StatementsResult> =>
  withClient(serverUrl, async (client) => {
    const preload = (await client.query<{ shared_preload_libraries: string }>('show shared_preload_libraries')).rows[0].shared_preload_libraries;
    if (!preload.split(',').some((name) => name.trim() === 'pg_stat_statements')) {
      return { available: false, reason: `the server does not load pg_stat_statements (shared_preload_libraries = '${preload}')` };
    }
    const { rowCount } = await client.query(`select 1 from pg_extension where extname = 'pg_stat_statements'`);
    if (!rowCount) {
      return { available: false, reason: `pg_stat_statements is loaded but not created in ${client.database ?? 'the server URL\'s database'} (create extension pg_stat_statements)` };
    }
    const { rows } = await client.query<{ calls: string; exec_ms: number; rows: string; wal_bytes: string; query: string }>(
      `select sum(calls)::text as calls, sum(total_exec_time) as exec_ms, sum(rows)::text as rows, sum(wal_bytes)::text as wal_bytes,
              regexp_replace(query, '\\s+', ' ', 'g') as query
         from pg_stat_statements where dbid = any($1::oid[])
        group by 5 order by 2 desc limit $2`,
      [oids, top],
    );
    return {
      available: true,
      statements: rows.map((r) => ({ calls: Number(r.calls), execMs: r.exec_ms, rows: Number(r.rows), walBytes: Number(r.wal_bytes), query: r.query })),
    };
  });

/** The statements as a table for the terminal, each query cut to `width` characters. */
export const formatStatements = (statements: readonly StatementFigures[], width = 120): string => {
  const header = ['calls', 'exec ms', 'ms/call', 'rows', 'WAL MB', 'statement'];
  const body = statements.map((s) => [
    String(s.calls),
    s.execMs.toFixed(0),
    s.calls > 0 ? (s.execMs / s.calls).toFixed(2) : '-',
    String(s.rows),
    (s.walBytes / 1e6).toFixed(1),
    s.query.length > width ? `${s.query.slice(0, width - 1)}…` : s.query,
  ]);
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string => [...cells.slice(0, -1).map((c, i) => c.padStart(widths[i])), cells[cells.length - 1]].join('  ');
  return [line(header), ...body.map(line)].join('\n');
};
