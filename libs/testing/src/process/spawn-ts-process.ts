import { spawn, type ChildProcess } from 'node:child_process';

export interface TsProcess {
  child: ChildProcess;
  pid: number;
  /** Everything it printed so far, stdout and stderr. */
  output: () => string;
  /** Resolves when the process has ended (by any signal). */
  exited: Promise<number | null>;
}

/**
 * Runs a TypeScript file as a child process (through @swc-node/register, with the given
 * tsconfig for decorators) and resolves once it has printed `readyMarker`: for tests that
 * kill processes with SIGKILL.
 */
export const spawnTsProcess = async (
  file: string,
  options: { env: Record<string, string>; tsconfig: string; readyMarker: string; timeoutMs?: number },
): Promise<TsProcess> => {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', file], {
    env: { ...process.env, ...options.env, SWC_NODE_PROJECT: options.tsconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!output.includes(options.readyMarker)) {
    if (child.exitCode !== null) throw new Error(`${file} exited early: ${output}`);
    if (Date.now() > deadline) throw new Error(`${file} did not get ready: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, pid: child.pid ?? -1, output: () => output, exited };
};

/** SIGKILLs those of `processes` still running and forgets them all: for an afterEach of tests that spawn and kill. */
export const killSurvivors = (processes: TsProcess[]): void => {
  for (const process of processes.splice(0)) if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
};
