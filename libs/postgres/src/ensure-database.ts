import { Client } from 'pg';

/** Creates the database a URL names when it does not exist yet (connecting to the server's `postgres` database). */
export const ensureDatabase = async (databaseUrl: string): Promise<void> => {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return;
    await client.query(`create database "${name.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
      // Created meanwhile by a sibling service: 42P04 once it is committed, 23505 (pg_database's unique
      // index) when both creates run at the same moment, as services started together on a new server do.
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    });
  } finally {
    await client.end().catch(() => undefined);
  }
};
