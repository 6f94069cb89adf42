import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

export interface PlatformProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Everything it printed so far. */
  output: () => string;
  /** Ctrl-C to the whole group (unless it has ended already); resolves to its exit code. */
  stop: () => Promise<number | null>;
}

/**
 * The mode variables of an end-to-end platform: the bus, and in Kafka mode the test broker, a topic
 * prefix of the test's own and a master key (outside standalone mode the platform refuses to start
 * without one).
 */
export const busEnv = (bus: 'standalone' | 'kafka', topicPrefix: string): Record<string, string> => ({
  BUS: bus,
  ...(bus === 'kafka' ? { KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '', KAFKA_TOPIC_PREFIX: topicPrefix, CLIENTELA_MASTER_KEY: randomBytes(32).toString('base64') } : {}),
});

/**
 * The platform as `npm start` runs it (the launcher's command, in a process group of its own), for
 * end-to-end tests: the mode variables of the calling process are not inherited, `env` sets them.
 * Resolves once it says it is ready; `stop()` is Ctrl-C.
 */
export const startPlatformProcess = async (env: Record<string, string>, readyTimeoutMs = 120_000): Promise<PlatformProcess> => {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['BUS', 'KAFKA_TOPIC_PREFIX', 'EVENT_STORE'].includes(k)));
  // Tests drive the gateway faster than any client app (thousands of requests with one key): the
  // limits themselves are tested in apps/gateway/src/gateway.int.spec.ts.
  const child = spawn(process.execPath, ['tools/launcher/start.js'], { cwd: ROOT, env: { ...inherited, LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '100000', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (const deadline = Date.now() + readyTimeoutMs; !output.includes('Ctrl-C stops everything'); await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null) throw new Error(`the platform ended early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the platform was not ready in ${readyTimeoutMs / 1000} s:\n${output}`);
  }
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    process.kill(-child.pid!, 'SIGINT');
    return exited;
  };
  return { child, exited, output: () => output, stop };
};
