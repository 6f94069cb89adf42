import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { READY_MARKER } from '@clientela/platform';


export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  ready: Promise<void>;
}

/**
 * One service as its own Node process, its TypeScript run by swc without a build step; its log lines
 * (pino JSON) pass through to ours; `ready` resolves when it says it listens, rejects if it ends first.
 */
export const startServiceProcess = (options: { name: string; root: string; env: Record<string, string>; output: NodeJS.WritableStream }): ServiceProcess => {
  const dir = join(options.root, 'apps', options.name);
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(dir, 'src', 'main.ts')], {
    cwd: options.root,
    env: { ...process.env, ...options.env, SWC_NODE_PROJECT: join(dir, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const ready = new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        options.output.write(`${line}\n`);
        if (line.includes(READY_MARKER)) resolve();
      });
    }
    void exited.then((code) => reject(new Error(`${options.name} exited (${code}) before it was ready`)));
  });
  ready.catch(() => undefined);
  return { name: options.name, child, exited, ready };
};

/** SIGTERM (a graceful stop), then SIGKILL for what has not ended after `graceMs`. */
export const stopServiceProcess = async (service: ServiceProcess, graceMs = 15_000): Promise<void> => {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  await service.exited;
  clearTimeout(timer);
};
