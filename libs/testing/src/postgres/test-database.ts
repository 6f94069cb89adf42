import { randomBytes } from 'node:crypto';
import { Client, Pool, type PoolConfig } from 'pg';

/**
 * The server the tests use: TEST_DATABASE_URL, else DATABASE_URL, else the local
 * PostgreSQL on 127.0.0.1:5432 as user postgres. Each test file makes its own databases.
 */
export const testServerUrl = (): string =>
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const withDatabase = (serverUrl: string, database: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

export const assertPostgresReachable = async (serverUrl = testServerUrl()): Promise<void> => {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `PostgreSQL is not reachable at ${new URL(serverUrl).host} (${reason}). ` +
        `Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL.`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
};

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A pool on the database; closed by drop(). */
  pool(config?: Omit<PoolConfig, 'connectionString'>): Pool;
  /** Closes the pools it made and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, uniquely named database on the test server. */
export const createTestDatabase = async (prefix = 'clientela_test'): Promise<TestDatabase> => {
  const serverUrl = testServerUrl();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  const pools: Pool[] = [];
  return {
    name,
    url,
    pool(config = {}) {
      const pool = new Pool({ max: 10, ...config, connectionString: url });
      pool.on('error', () => undefined); // idle clients dropped by drop() must not crash the test process
      pools.push(pool);
      return pool;
    },
    async drop() {
      await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
};
