import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../net/free-port';

const run = promisify(execFile);

export interface DisposablePostgresOptions {
  /** Where initdb, pg_ctl live. Default /usr/lib/postgresql/15/bin (env POSTGRES_BIN_DIR wins). */
  binDir?: string;
  /** Default: a free port. */
  port?: number;
}

/** A PostgreSQL server of one test's own, which it may stop and restart without disturbing anyone else. */
export interface DisposablePostgres {
  readonly port: number;
  /** Connection string of its `postgres` database as user postgres (trust auth, loopback only). */
  readonly url: string;
  readonly dataDir: string;
  /** Stops the server: `fast` ends sessions cleanly, `immediate` is a crash (recovery on the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its files. Idempotent. */
  destroy(): Promise<void>;
}

/** Runs as the `postgres` OS user when we are root: initdb and postgres refuse to run as root. */
const asPostgres = (command: string, args: string[]) =>
  process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);

/**
 * Starts a fresh PostgreSQL cluster in a temp dir on a free port (initdb, then pg_ctl), with
 * fsync off: tests restart it to prove that clients survive an outage, not its durability.
 */
export const startDisposablePostgres = async (options: DisposablePostgresOptions = {}): Promise<DisposablePostgres> => {
  const binDir = options.binDir ?? process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
  const root = mkdtempSync(join(tmpdir(), 'clientela-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = options.port ?? (await freePort());
  await asPostgres(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const pgCtl = join(binDir, 'pg_ctl');
  let running = false;
  let destroyed = false;
  const server: DisposablePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    async start() {
      const settings = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200`;
      await asPostgres(pgCtl, ['-D', dataDir, '-l', logFile, '-o', settings, '-w', '-t', '60', 'start']);
      running = true;
      // pg_ctl -w waits for the postmaster; make sure a client gets in too.
      const client = new Client({ connectionString: server.url, connectionTimeoutMillis: 5_000 });
      await client.connect();
      await client.end();
    },
    async stop(mode = 'fast') {
      if (!running) return;
      await asPostgres(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await server.stop('immediate').catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    const log = await fs.readFile(logFile, 'utf8').catch(() => '');
    await server.destroy();
    throw new Error(`disposable PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n${log}`);
  }
  return server;
};
