import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface ConsumerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the process has ended (by any signal). */
  exited: Promise<number | null>;
}

/** Starts consumer-process.ts as a child and resolves once its consumer has joined. */
export const spawnConsumerProcess = async (env: Record<string, string>): Promise<ConsumerProcess> => {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'consumer-process.ts')], {
    env: { ...process.env, ...env, SWC_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!output.includes('"pid"')) {
    if (child.exitCode !== null) throw new Error(`consumer process exited early: ${output}`);
    if (Date.now() > deadline) throw new Error(`consumer process did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, output: () => output, exited };
};
