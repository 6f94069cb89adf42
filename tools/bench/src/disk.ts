import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

/** Dirty and under-writeback page cache in MB (/proc/meminfo): what the kernel still has to write. */
export const unwrittenMb = (): number => {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? 0);
  return Math.round((kb('Dirty') + kb('Writeback')) / 1024);
};

/**
 * Writes back what earlier phases left in the page cache (`sync`), so that a latency phase does not
 * measure the kernel flushing a previous burst: dirty pages are written back about 30 s after they
 * were made, and every commit's WAL flush then waits behind them. Returns what there was and how long
 * it took. Changes no setting; on a machine without `sync` it only reports.
 */
export const settleDisk = async (): Promise<{ unwrittenMb: number; syncS: number }> => {
  const before = unwrittenMb();
  const started = performance.now();
  await promisify(execFile)('sync').catch(() => undefined);
  return { unwrittenMb: before, syncS: Math.round((performance.now() - started) / 100) / 10 };
};
