import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants as fsConstants, existsSync, openSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { trackChild, untrackChild } from './children';
import { log4jConfigPath, resolveKafkaVersion } from './config';
import { fetchKafkaJars } from './fetch';
import { findFreePorts, isPortFree } from './ports';
import { CommandNotFoundError, runCommand, tailLines } from './proc';

export interface StartKafkaOptions {
  /** PLAINTEXT (client) port. Default: a free port. */
  port?: number;
  /** CONTROLLER (KRaft quorum) port. Default: a free port. */
  controllerPort?: number;
  /** Interface to bind and advertise. Default 127.0.0.1 (Node may resolve `localhost` to ::1). */
  host?: string;
  /**
   * Kafka's log.dirs. Default: `data/` inside a fresh temp dir that stop() removes. When given, it is kept on
   * stop(), and starting again with the same dataDir (and ports) reuses its topics, offsets and cluster id.
   */
  dataDir?: string;
  /** Where broker.log (the JVM's stdout/stderr) goes. Default: `logs/` inside the temp dir. */
  logDir?: string;
  /** Kafka version (default: env KAFKA_VERSION, else DEFAULT_KAFKA_VERSION). */
  version?: string;
  /** Directory of broker jars. Default: fetchKafkaJars({ version }) (a no-op when cached). */
  libsDir?: string;
  /** Java executable. Default: $JAVA_HOME/bin/java, else `java` on PATH. */
  java?: string;
  /** Extra JVM options, after the defaults (so `-Xmx1g` here wins). Env KAFKA_JVM_OPTS is added too. */
  jvmOptions?: string[];
  /** Extra or overriding server.properties entries. */
  serverProperties?: Record<string, string | number | boolean>;
  /** How long to wait for the broker to answer describeCluster(). Default 60 s. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 20 s. */
  stopTimeoutMs?: number;
  /**
   * Run the broker as a daemon that outlives this Node process (own process group, not killed on exit).
   * Used by `cli.js start` without --foreground. Default false.
   */
  detached?: boolean;
}

export interface KafkaBroker {
  /** Bootstrap addresses for kafkajs, e.g. ['127.0.0.1:40123']. */
  brokers: string[];
  port: number;
  controllerPort: number;
  pid: number;
  dataDir: string;
  logDir: string;
  /** The JVM's stdout/stderr (log4j at WARN). */
  logFile: string;
  /** Temp dir holding server.properties (and data/logs when not given); removed by stop(). */
  runDir: string;
  clusterId: string;
  version: string;
  /** Time kafka.tools.StorageTool format took, in ms (a separate short-lived JVM). */
  formatMs: number;
  /** From spawning the broker JVM to the first successful describeCluster(), in ms (format not included). */
  startupMs: number;
  /** SIGTERM, wait (then SIGKILL), remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Settles when the JVM exits, for any reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const CLUSTER_ID_FILE = '.clientela-cluster-id';
const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_MS = 20_000;

const running = new Set<KafkaBroker>();

/** Stops every broker this process started (not detached ones) that is still running. */
export async function stopAllKafka(): Promise<void> {
  await Promise.all([...running].map((broker) => broker.stop()));
}

function javaExecutable(explicit?: string): string {
  if (explicit) return explicit;
  const home = process.env.JAVA_HOME?.trim();
  if (home) {
    const candidate = path.join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (existsSync(candidate)) return candidate;
  }
  return 'java';
}

function defaultJvmOptions(): string[] {
  return [
    '-Xms128m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.net.preferIPv4Stack=true',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=${pathToFileUrl(log4jConfigPath())}`,
    ...(process.env.KAFKA_JVM_OPTS ?? '').split(/\s+/).filter((opt) => opt !== ''),
  ];
}

function pathToFileUrl(p: string): string {
  return `file:${p.split(path.sep).join('/')}`;
}

/** `setpriv --pdeathsig SIGTERM` (util-linux): the kernel sends SIGTERM to java when this process dies. */
function findSetpriv(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = path.join(dir, 'setpriv');
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function escapePropertyValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function serverProperties(opts: {
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  overrides?: Record<string, string | number | boolean>;
}): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${opts.host}:${opts.controllerPort}`,
    listeners: `PLAINTEXT://${opts.host}:${opts.port},CONTROLLER://${opts.host}:${opts.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${opts.host}:${opts.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': opts.dataDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    // The log cleaner's default dedupe buffer takes 128 MB of heap; the minimum is 1 MB + 1 byte.
    'log.cleaner.dedupe.buffer.size': 1048577,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    ...opts.overrides,
  };
  return (
    `# Written by @clientela/kafka-runner (tools/kafka) on ${new Date().toISOString()}\n` +
    Object.entries(props)
      .map(([key, value]) => `${key}=${escapePropertyValue(String(value))}`)
      .join('\n') +
    '\n'
  );
}

/**
 * 16 random bytes as base64url: the 22-character form Kafka's own `random-uuid` prints. Like
 * Kafka's `Uuid.randomUuid`, never one that starts with `-`: StorageTool would read `-t -x…` as
 * an option and refuse to format (one start in 64 failed that way).
 */
export const newClusterId = (random: (size: number) => Buffer = randomBytes): string => {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
};

/** The cluster id to format with: the one already in dataDir (meta.properties, then our file), else a new one. */
async function resolveClusterId(dataDir: string): Promise<string> {
  const meta = await fs.readFile(path.join(dataDir, 'meta.properties'), 'utf8').catch(() => '');
  const fromMeta = /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim();
  const fromFile = (await fs.readFile(path.join(dataDir, CLUSTER_ID_FILE), 'utf8').catch(() => '')).trim();
  const clusterId = fromMeta || fromFile || newClusterId();
  if (clusterId !== fromFile) await fs.writeFile(path.join(dataDir, CLUSTER_ID_FILE), `${clusterId}\n`);
  return clusterId;
}

async function readFrom(file: string, offset: number): Promise<string> {
  const handle = await fs.open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const start = Math.max(offset, size - 256 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Awaits `promise` while holding a timer, so the event loop cannot drain (the child itself is unref'd). */
async function keepAliveUntil<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => undefined, 1_000);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}

/** Resolves once describeCluster() lists a broker; rejects if `failed()` returns a reason or time runs out. */
async function waitUntilReady(brokers: string[], timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt made';
  while (Date.now() < deadline) {
    const reason = failed();
    if (reason) throw new Error(reason);
    const admin = new Kafka({
      clientId: 'clientela-kafka-runner',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      requestTimeout: 5_000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return;
      lastError = 'describeCluster() listed no brokers';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(200);
  }
  throw new Error(`the broker did not answer describeCluster() within ${timeoutMs} ms (last error: ${lastError})`);
}

/**
 * Starts a one-node Kafka broker (KRaft, combined broker+controller) from the Maven jars and resolves when a
 * kafkajs admin client can describe the cluster.
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const version = resolveKafkaVersion(options.version);
  const libsDir = path.resolve(options.libsDir ?? (await fetchKafkaJars({ version })).libsDir);
  const host = options.host ?? '127.0.0.1';
  const java = javaExecutable(options.java);
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;

  let port = options.port;
  let controllerPort = options.controllerPort;
  if (port === undefined || controllerPort === undefined) {
    const free = (await findFreePorts(3, host)).filter((p) => p !== port && p !== controllerPort);
    port ??= free.shift();
    controllerPort ??= free.shift();
  }
  if (port === undefined || controllerPort === undefined) throw new Error('kafka-runner: could not pick free ports');
  if (port === controllerPort) throw new Error(`kafka-runner: port and controllerPort must differ (both ${port})`);
  for (const [name, p] of [
    ['port', port],
    ['controllerPort', controllerPort],
  ] as const) {
    if (!(await isPortFree(p, host))) {
      throw new Error(`kafka-runner: ${name} ${host}:${p} is already in use (is another broker still running there?)`);
    }
  }

  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'clientela-kafka-'));
  const cleanupRunDir = (): Promise<void> => fs.rm(runDir, { recursive: true, force: true, maxRetries: 3 });
  try {
    const dataDir = path.resolve(options.dataDir ?? path.join(runDir, 'data'));
    const logDir = path.resolve(options.logDir ?? path.join(runDir, 'logs'));
    await fs.mkdir(dataDir, { recursive: true });
    await fs.mkdir(logDir, { recursive: true });
    const logFile = path.join(logDir, 'broker.log');
    const propsFile = path.join(runDir, 'server.properties');
    await fs.writeFile(
      propsFile,
      serverProperties({ host, port, controllerPort, dataDir, overrides: options.serverProperties }),
    );

    const clusterId = await resolveClusterId(dataDir);
    const classpath = `${libsDir}${path.sep}*`;
    const jvm = [...defaultJvmOptions(), ...(options.jvmOptions ?? [])];

    // Format (or, for an existing dataDir, check) the storage. Must use the same cluster id every time.
    const formatStarted = Date.now();
    const format = await runCommand(
      java,
      [...jvm, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, '--ignore-formatted'],
      { cwd: runDir },
    ).catch((err: unknown) => {
      if (err instanceof CommandNotFoundError) {
        throw new Error(`kafka-runner: cannot run Java (\`${java}\`): ${err.cause.message}. Install a JDK 17 or set JAVA_HOME.`);
      }
      throw err;
    });
    if (format.code !== 0) {
      throw new Error(
        `kafka-runner: kafka.tools.StorageTool format failed (exit ${String(format.code)}) for ${dataDir}:\n` +
          tailLines(format.output, 30),
      );
    }

    const formatMs = Date.now() - formatStarted;

    // Run the broker. stdout/stderr go straight to a file, so nothing here has to keep reading pipes.
    const logOffset = (await fs.stat(logFile).catch(() => undefined))?.size ?? 0;
    await fs.appendFile(
      logFile,
      `--- ${new Date().toISOString()} kafka-runner: starting Kafka ${version} on ${host}:${port} (controller ${controllerPort}), data ${dataDir}\n`,
    );
    const logFd = openSync(logFile, 'a');
    const setpriv = options.detached ? undefined : findSetpriv();
    const brokerArgs = [...jvm, '-cp', classpath, 'kafka.Kafka', propsFile];
    const [command, args] = setpriv
      ? [setpriv, ['--pdeathsig', 'TERM', '--', java, ...brokerArgs]]
      : [java, brokerArgs];
    const spawnedAt = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: runDir,
        stdio: ['ignore', logFd, logFd],
        detached: options.detached ?? false,
      });
    } finally {
      closeSync(logFd);
    }

    let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        exitInfo ??= { code: null, signal: null };
        resolve(exitInfo);
      });
      child.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        resolve(exitInfo);
      });
    });
    // Do not let the broker keep this Node process alive; the 'exit' hook (children.ts) kills it instead.
    child.unref();

    const pid = child.pid;
    if (pid === undefined) {
      await keepAliveUntil(exited);
      throw new Error(`kafka-runner: cannot start \`${command}\`: ${spawnError?.message ?? 'no pid'}`);
    }
    if (!options.detached) trackChild(pid, runDir);

    const brokers = [`${host}:${port}`];
    const logTail = async (): Promise<string> => {
      const text = await readFrom(logFile, logOffset);
      // The cause is usually in an ERROR line or a "Caused by:" deep inside a stack trace: show those first.
      const causes = [
        ...new Set(text.split(/\r?\n/).filter((line) => /\b(ERROR|FATAL)\b|^Caused by:/.test(line))),
      ].slice(-12);
      const tail = tailLines(text, 25) || '(empty)';
      return causes.length > 0 ? `${causes.join('\n')}\n...\n${tail}` : tail;
    };

    const killNow = async (): Promise<void> => {
      if (!exitInfo) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await keepAliveUntil(exited);
      }
      untrackChild(pid);
    };

    try {
      await waitUntilReady(brokers, startTimeoutMs, () => {
        if (spawnError) return `cannot run \`${command}\`: ${spawnError.message}`;
        if (exitInfo) return `the broker exited during start-up (${exitInfo.signal ?? `exit code ${String(exitInfo.code)}`})`;
        return undefined;
      });
    } catch (err) {
      await killNow();
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(
        `kafka-runner: Kafka ${version} on ${brokers[0]} did not start: ${reason}.\n` +
          // Without a logDir option the log lives in the temp dir removed below, so do not point at it.
          `${options.logDir ? `From ${logFile}` : 'From the broker log'}:\n${await logTail()}`,
      );
    }
    const startupMs = Date.now() - spawnedAt;

    let stopping: Promise<void> | undefined;
    const broker: KafkaBroker = {
      brokers,
      port,
      controllerPort,
      pid,
      dataDir,
      logDir,
      logFile,
      runDir,
      clusterId,
      version,
      formatMs,
      startupMs,
      exited,
      stop(): Promise<void> {
        stopping ??= (async () => {
          if (!exitInfo) {
            try {
              process.kill(pid, 'SIGTERM');
            } catch {
              // already gone
            }
            let timer: NodeJS.Timeout | undefined;
            const timedOut = await Promise.race([
              exited.then(() => false),
              new Promise<boolean>((resolve) => {
                timer = setTimeout(() => resolve(true), stopTimeoutMs);
              }),
            ]);
            if (timer) clearTimeout(timer);
            if (timedOut) await killNow();
          }
          untrackChild(pid);
          running.delete(broker);
          await cleanupRunDir();
        })();
        return stopping;
      },
    };
    if (!options.detached) running.add(broker);
    return broker;
  } catch (err) {
    await cleanupRunDir();
    throw err;
  }
}
