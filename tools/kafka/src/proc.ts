import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, trimmed to the last `maxOutput` characters. */
  output: string;
}

/** Thrown when the command itself cannot be started (typically ENOENT: not on PATH). */
export class CommandNotFoundError extends Error {
  constructor(
    readonly command: string,
    override readonly cause: Error,
  ) {
    super(`${command}: ${cause.message}`);
    this.name = 'CommandNotFoundError';
  }
}

/** Runs a command to completion, keeping the tail of its combined output. Never rejects on a non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { maxOutput?: number } = {},
): Promise<RunResult> {
  const { maxOutput = 64 * 1024, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    let output = '';
    const keep = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > maxOutput * 2) output = output.slice(-maxOutput);
    };
    const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (err) => reject(new CommandNotFoundError(command, err)));
    child.once('close', (code, signal) => resolve({ code, signal, output: output.slice(-maxOutput) }));
  });
}

/** The last `lines` non-empty lines of a text. */
export function tailLines(text: string, lines: number): string {
  return text
    // eslint-disable-next-line no-control-regex -- strip ANSI colour codes (mvn prints them even with -B)
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(-lines)
    .join('\n');
}
