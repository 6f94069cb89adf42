import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** DATABASE_URL, else the local PostgreSQL on 127.0.0.1:5432 as user postgres. */
export const defaultServerUrl = (): string => process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database, closing whatever is still connected to it. Safe to call twice. */
  drop(): Promise<void>;
}

export const withDatabase = (serverUrl: string, database: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

const withAdmin = async <T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
};

/** `create database clientela_bench_<random>` on the server of `serverUrl`. */
export const createBenchDatabase = async (serverUrl: string, prefix = 'clientela_bench'): Promise<BenchDatabase> => {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await withAdmin(serverUrl, (client) => client.query(`create database "${name}"`));
  let dropped = false;
  return {
    name,
    url: withDatabase(serverUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(serverUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
};
