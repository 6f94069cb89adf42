import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';

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

/** One connection to `url` for `work`, closed after it. */
export const withClient = async <T>(url: string, work: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
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
  await withClient(serverUrl, (client) => client.query(`create database "${name}"`));
  let dropped = false;
  return {
    name,
    url: withDatabase(serverUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withClient(serverUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
};

/** A bench's fresh database with an admin connection: the server's settings, and CHECKPOINT between phases. */
export interface MeasuredDatabase {
  database: BenchDatabase;
  admin: Pool;
  synchronousCommit: string;
  postgres: string;
  /** Starts each measured phase with no dirty buffers left over from the one before (when allowed). */
  checkpoint(): Promise<void>;
}

export const openMeasuredDatabase = async (
  ctx: { createDatabase(prefix?: string): Promise<BenchDatabase>; onCleanup(cleanup: () => Promise<void>): void; log(message: string): void },
  prefix?: string,
): Promise<MeasuredDatabase> => {
  const database = await ctx.createDatabase(prefix);
  const admin = new Pool({ connectionString: database.url, max: 1 });
  admin.on('error', () => undefined);
  ctx.onCleanup(() => admin.end());
  const setting = async (name: string): Promise<string> => (await admin.query<Record<string, string>>(`show ${name}`)).rows[0][name];
  let canCheckpoint = true;
  return {
    database,
    admin,
    synchronousCommit: await setting('synchronous_commit'),
    postgres: (await setting('server_version')).split(' ')[0],
    checkpoint: async () => {
      if (!canCheckpoint) return;
      await admin.query('checkpoint').catch((error: unknown) => {
        canCheckpoint = false;
        ctx.log(`no CHECKPOINT between phases (${error instanceof Error ? error.message : String(error)})`);
      });
    },
  };
};
