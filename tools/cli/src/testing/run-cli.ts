import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../main';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const collected = () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
};

/** Runs a command line in this process (as `npx clientela …` would), with its own environment. */
export const runCli = async (args: string[], env: Record<string, string | undefined>): Promise<CliResult> => {
  const out = collected();
  const err = collected();
  const code = await run(['node', 'clientela', ...args], out.stream, err.stream, { ...env } as NodeJS.ProcessEnv);
  process.exitCode = undefined;
  return { code, stdout: out.text(), stderr: err.text() };
};

export const BIN = join(__dirname, '..', '..', 'bin', 'clientela.js');

/** Starts the real bin as a child process: for signals, and for the memory of the process itself. */
export const spawnCli = (args: string[], env: Record<string, string | undefined>): { child: ChildProcess; result: Promise<CliResult> } => {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })));
  return { child, result };
};
