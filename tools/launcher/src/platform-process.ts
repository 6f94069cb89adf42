import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

export interface PlatformProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Everything it printed so far. */
  output: () => string;
}

/**
 * The platform as `npm start` runs it (the launcher's command, in a process group of its own), for
 * end-to-end tests: the mode variables of the calling process are not inherited, `env` sets them.
 * Resolves once it says it is ready; Ctrl-C is `process.kill(-child.pid, 'SIGINT')`.
 */
export const startPlatformProcess = async (env: Record<string, string>, readyTimeoutMs = 120_000): Promise<PlatformProcess> => {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['BUS', 'KAFKA_TOPIC_PREFIX', 'EVENT_STORE'].includes(k)));
  const child = spawn(process.execPath, ['tools/launcher/start.js'], { cwd: ROOT, env: { ...inherited, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (const deadline = Date.now() + readyTimeoutMs; !output.includes('Ctrl-C stops everything'); await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null) throw new Error(`the platform ended early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the platform was not ready in ${readyTimeoutMs / 1000} s:\n${output}`);
  }
  return { child, exited, output: () => output };
};
