import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError } from '@clientela/platform';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { adminKeyOf, masterKeyOf } from './admin-key';
import { loadLauncherConfig, SERVICES } from './launcher-config';
import { startServiceProcess, stopServiceProcess, type ServiceProcess } from './service-process';

const root = join(__dirname, '..', '..', '..');
const say = (line: string) => process.stdout.write(`[clientela] ${line}\n`);

/**
 * `npm start`: PostgreSQL (embedded unless DATABASE_URL is set), every service as its own process,
 * then the gateway in front of them; Ctrl-C stops them all and exits 0.
 */
const main = async (): Promise<void> => {
  const started = Date.now();
  // A closed terminal or pipe must not end the launcher before it has stopped what it started.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  let config: ReturnType<typeof loadLauncherConfig>;
  try {
    config = loadLauncherConfig(process.env, process.cwd());
  } catch (error) {
    // Wrong or missing settings: every problem listed, nothing started, no stack trace.
    if (!(error instanceof ConfigError)) throw error;
    say(error.message);
    process.exit(1);
  }
  let postgres: RunningPostgres | undefined;
  const processes: ServiceProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (code: number) =>
    (stopping ??= (async () => {
      await Promise.all([...processes].reverse().map((p) => stopServiceProcess(p)));
      await postgres?.stop().catch((error: unknown) => say(`could not stop PostgreSQL: ${String(error)}`));
      say(code === 0 ? 'stopped' : 'stopped after a failure');
      process.exit(code);
    })());
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    let databaseUrl = config.platform.databaseUrl;
    if (!databaseUrl) {
      say(`starting embedded PostgreSQL (data in ${config.dataDir})`);
      postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.postgresPort, log: say });
      databaseUrl = postgres.url;
    }
    const masterKey = config.platform.personalData ? undefined : masterKeyOf(config.dataDir);
    if (masterKey) say(`personal data is sealed under a master key ${masterKey.from}`);
    // The services answer their /api/ routes to the gateway alone (they trust the role it forwards): a secret for this run unless one is set.
    const gatewaySecret = config.platform.gatewaySecret ?? randomBytes(24).toString('hex');
    const common = { DATABASE_URL: databaseUrl, GATEWAY_SECRET: gatewaySecret, ...(masterKey ? { CLIENTELA_MASTER_KEY: masterKey.key } : {}) };
    const urls: Record<string, string> = {};
    for (const [index, name] of SERVICES.entries()) {
      const port = config.servicePortBase + index + 1;
      urls[name] = `http://127.0.0.1:${port}`;
      processes.push(startServiceProcess({ name, root, env: { ...common, PORT: String(port) }, output: process.stdout }));
    }
    await Promise.all(processes.map((p) => p.ready));
    const adminKey = config.adminApiKey ?? adminKeyOf(config.dataDir);
    const gateway = startServiceProcess({
      name: 'gateway',
      root,
      env: { ...common, PORT: String(config.gatewayPort), SERVICE_URLS: Object.entries(urls).map(([n, u]) => `${n}=${u}`).join(','), ADMIN_API_KEY: adminKey.key },
      output: process.stdout,
    });
    processes.push(gateway);
    await gateway.ready;
    for (const p of processes) void p.exited.then((code) => stopping ?? (say(`${p.name} ended unexpectedly (${code}); stopping everything`), stop(1)));
    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${config.platform.bus.kind} bus, ${postgres ? 'embedded' : 'external'} PostgreSQL)`);
    say(`  API        http://127.0.0.1:${config.gatewayPort}/api/v1`);
    say(`  API docs   http://127.0.0.1:${config.gatewayPort}/api/docs`);
    say(`  health     http://127.0.0.1:${config.gatewayPort}/health/ready`);
    say(`  admin key  ${adminKey.key} (X-Api-Key; ${adminKey.from})`);
    // The embedded server's own URL (local credentials), for the `clientela` CLI; a DATABASE_URL of yours is not echoed.
    if (postgres) say(`  database   ${postgres.url} (DATABASE_URL for npx clientela)`);
    for (const [name, url] of Object.entries(urls)) say(`  ${name.padEnd(10)} ${url} (direct, for debugging)`);
    say('Ctrl-C stops everything');
  } catch (error) {
    say(error instanceof ConfigError ? error.message : `could not start: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
};

void main();
