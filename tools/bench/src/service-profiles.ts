import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * CPU profiles of the service processes a bench starts, when BENCH_CPU_PROFILE_DIR is set: the
 * environment that loads cpu-profile-preload.js into a process (`name` names its files), and a
 * window that profiles those processes while one measured part runs (`<dir>/<name>.<label>.cpuprofile`).
 */
export const profileEnv = (name: string): Record<string, string> =>
  process.env.BENCH_CPU_PROFILE_DIR
    ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(__dirname, 'cpu-profile-preload.js')}`.trim(), BENCH_CPU_PROFILE_NAME: name }
    : {};

/** Starts the profiler of each process (when profiling and labelled); the returned function stops it and waits for the files. */
export const profileWindow = (pids: readonly number[], label: string | undefined): (() => Promise<void>) => {
  const dir = process.env.BENCH_CPU_PROFILE_DIR;
  if (dir === undefined || label === undefined) return async () => undefined;
  const signal = () => pids.forEach((pid) => process.kill(pid, 'SIGUSR2'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'label'), label);
  signal();
  return async () => {
    signal();
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the profiles are written before the label changes
  };
};
