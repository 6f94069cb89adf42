/**
 * Command line for the Kafka runner. Run through tools/kafka/cli.js (which registers @swc-node/register):
 *
 *   node tools/kafka/cli.js fetch                   download the broker jars into the cache
 *   node tools/kafka/cli.js start --foreground      run a broker until Ctrl-C (npm run kafka:dev)
 *   node tools/kafka/cli.js start                   run a broker in the background, print its address
 *   node tools/kafka/cli.js stop [--port N]         stop background brokers started by `start`
 *
 * `start` prints only the bootstrap address (127.0.0.1:PORT) on stdout; everything else goes to stderr.
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startKafka, type KafkaBroker } from './broker';
import { kafkaCacheRoot, resolveKafkaVersion } from './config';
import { fetchKafkaJars } from './fetch';

interface DaemonState {
  pid: number;
  port: number;
  controllerPort: number;
  brokers: string[];
  runDir: string;
  dataDir: string;
  logFile: string;
  version: string;
  startedAt: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a port number (1-65535)');
  return port;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const stateDir = (): string => path.join(kafkaCacheRoot(), 'run');
const stateFile = (port: number): string => path.join(stateDir(), `broker-${port}.json`);
const info = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

async function readStates(port?: number): Promise<{ file: string; state: DaemonState }[]> {
  const files =
    port !== undefined
      ? [stateFile(port)]
      : (await fs.readdir(stateDir()).catch(() => [] as string[]))
          .filter((name) => /^broker-\d+\.json$/.test(name))
          .map((name) => path.join(stateDir(), name));
  const states: { file: string; state: DaemonState }[] = [];
  for (const file of files) {
    try {
      states.push({ file, state: JSON.parse(await fs.readFile(file, 'utf8')) as DaemonState });
    } catch {
      // missing or unreadable: nothing to stop
    }
  }
  return states;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Guard against a recycled pid on Linux: only signal a process that is a Kafka broker.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline)) {
    try {
      const text = readFileSync(cmdline, 'utf8');
      return text.includes('kafka.Kafka');
    } catch {
      return false;
    }
  }
  return true;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

/** Copies what the broker appends to its log file to stderr, until the returned function is called. */
function followLog(file: string): () => void {
  let offset = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const handle = await fs.open(file, 'r');
        try {
          const { size } = await handle.stat();
          if (size > offset) {
            const buffer = Buffer.alloc(size - offset);
            await handle.read(buffer, 0, buffer.length, offset);
            offset = size;
            process.stderr.write(buffer);
          }
        } finally {
          await handle.close();
        }
      } catch {
        // file not there yet
      } finally {
        busy = false;
      }
    })();
  }, 300);
  return () => clearInterval(timer);
}

async function runForeground(broker: KafkaBroker): Promise<never> {
  info(`Kafka ${broker.version} ready on ${broker.brokers.join(',')} in ${broker.startupMs} ms (pid ${broker.pid})`);
  info(`data: ${broker.dataDir}\nlog:  ${broker.logFile}\nCtrl-C to stop.`);
  const stopFollowing = followLog(broker.logFile);
  const keepAlive = setInterval(() => undefined, 60_000);

  let stopping = false;
  const code = await new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      info(`\n${signal}: stopping the broker...`);
      broker.stop().then(
        () => resolve(0),
        (err: unknown) => {
          info(`stop failed: ${err instanceof Error ? err.message : String(err)}`);
          resolve(1);
        },
      );
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
    void broker.exited.then(({ code: exitCode, signal }) => {
      if (stopping) return;
      info(`the broker exited on its own (${signal ?? `exit code ${String(exitCode)}`}); see ${broker.logFile}`);
      resolve(1);
    });
  });
  clearInterval(keepAlive);
  stopFollowing();
  if (code === 0) info('stopped.');
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('kafka')
    .description('Run a real one-node Apache Kafka broker (KRaft) from Maven Central jars.')
    .showHelpAfterError();

  program
    .command('fetch')
    .description('download the broker jars into the cache (KAFKA_CACHE_DIR or <repo>/.cache/kafka)')
    .option('--kafka-version <version>', 'Kafka version (default: KAFKA_VERSION or the pinned one)')
    .option('--force', 'fetch again even if the cache is complete')
    .action(async (opts: { kafkaVersion?: string; force?: boolean }) => {
      const result = await fetchKafkaJars({ version: opts.kafkaVersion, force: opts.force });
      info(
        result.fetched
          ? `fetched Kafka ${result.version}: ${result.jars.length} jars in ${result.durationMs} ms`
          : `Kafka ${result.version} jars already cached (${result.jars.length} jars)`,
      );
      process.stdout.write(`${result.libsDir}\n`);
    });

  program
    .command('start')
    .description('start a broker and print its bootstrap address (in the background unless --foreground)')
    .option('--port <port>', 'client (PLAINTEXT) port, default: a free one', parsePort)
    .option('--controller-port <port>', 'KRaft controller port, default: a free one', parsePort)
    .option('--data-dir <dir>', 'keep the data here (reused on the next start with the same ports)')
    .option('--log-dir <dir>', 'write broker.log here')
    .option('--kafka-version <version>', 'Kafka version (default: KAFKA_VERSION or the pinned one)')
    .option('--timeout <ms>', 'start-up timeout in ms', parsePositiveInt, 60_000)
    .option('--foreground', 'stay attached: follow the broker log, stop cleanly on Ctrl-C/SIGTERM')
    .action(
      async (opts: {
        port?: number;
        controllerPort?: number;
        dataDir?: string;
        logDir?: string;
        kafkaVersion?: string;
        timeout: number;
        foreground?: boolean;
      }) => {
        const version = resolveKafkaVersion(opts.kafkaVersion);
        const fetched = await fetchKafkaJars({ version });
        if (fetched.fetched) info(`fetched Kafka ${version} jars in ${fetched.durationMs} ms`);
        const broker = await startKafka({
          port: opts.port,
          controllerPort: opts.controllerPort,
          dataDir: opts.dataDir,
          logDir: opts.logDir,
          version,
          libsDir: fetched.libsDir,
          startTimeoutMs: opts.timeout,
          detached: !opts.foreground,
        });
        process.stdout.write(`${broker.brokers.join(',')}\n`);
        if (opts.foreground) await runForeground(broker);

        const state: DaemonState = {
          pid: broker.pid,
          port: broker.port,
          controllerPort: broker.controllerPort,
          brokers: broker.brokers,
          runDir: broker.runDir,
          dataDir: broker.dataDir,
          logFile: broker.logFile,
          version: broker.version,
          startedAt: new Date().toISOString(),
        };
        await fs.mkdir(stateDir(), { recursive: true });
        await fs.writeFile(stateFile(broker.port), `${JSON.stringify(state, null, 2)}\n`);
        info(
          `Kafka ${broker.version} running in the background (pid ${broker.pid}, ready in ${broker.startupMs} ms); ` +
            `log ${broker.logFile}\nstop it with: node tools/kafka/cli.js stop --port ${broker.port}`,
        );
      },
    );

  program
    .command('stop')
    .description('stop brokers started in the background by `start` (all of them unless --port)')
    .option('--port <port>', 'only the broker on this port', parsePort)
    .action(async (opts: { port?: number }) => {
      const states = await readStates(opts.port);
      if (states.length === 0) info('no background broker recorded');
      for (const { file, state } of states) {
        if (isAlive(state.pid)) {
          process.kill(state.pid, 'SIGTERM');
          if (!(await waitForExit(state.pid, 20_000))) {
            info(`pid ${state.pid} did not stop within 20 s; killing it`);
            process.kill(state.pid, 'SIGKILL');
            await waitForExit(state.pid, 5_000);
          }
          info(`stopped the broker on ${state.brokers.join(',')} (pid ${state.pid})`);
        } else {
          info(`the broker on ${state.brokers.join(',')} (pid ${state.pid}) was not running`);
        }
        await fs.rm(state.runDir, { recursive: true, force: true });
        await fs.rm(file, { force: true });
      }
    });

  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
