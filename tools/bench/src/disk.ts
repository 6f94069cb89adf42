import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

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

/** The sampling worker, plain JavaScript (run with `eval`, so it needs no build of its own). */
const FSYNC_PROBE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const fd = fs.openSync(workerData.path, 'w');
const block = Buffer.alloc(8192, 1);
const timer = setInterval(() => {
  const started = performance.now();
  fs.writeSync(fd, block, 0, block.length, 0);
  fs.fdatasyncSync(fd);
  const ended = performance.now();
  parentPort.postMessage([performance.timeOrigin + started, Math.round((ended - started) * 1000)]);
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  fs.closeSync(fd);
  fs.rmSync(workerData.path, { force: true });
  parentPort.close();
});`;

/**
 * How long this machine's disk takes to make 8 KiB durable, sampled while a bench runs: a worker
 * thread rewrites one 8 KiB block of a file in the temporary directory and `fdatasync`s it every
 * `intervalMs` (what a commit's WAL flush does). A contender that waits on WAL flushes follows this
 * figure, one bound by the CPU does not: beside each round's rate it tells a slower disk from slower
 * code (it showed that the batch limit's slow runs were not the disk's: tools/bench/README.md,
 * session 35). It measures the disk the temporary directory is on: meaningful when PostgreSQL's
 * data is on the same disk, as on a machine that runs the server itself.
 */
export class FsyncProbe {
  private readonly at: number[] = [];
  private readonly us: number[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on('message', ([at, us]: [number, number]) => {
      this.at.push(at);
      this.us.push(us);
    });
    worker.on('error', () => undefined);
    worker.unref();
  }

  static start(intervalMs = 200): FsyncProbe {
    const path = join(tmpdir(), `clientela-bench-fsync-${process.pid}-${randomBytes(4).toString('hex')}`);
    return new FsyncProbe(new Worker(FSYNC_PROBE_WORKER, { eval: true, workerData: { path, intervalMs } }));
  }

  /** The median and the slowest of the samples taken between `from` and `to` (measure.ts `epochMs()`), in µs; null if none. */
  between(from: number, to: number): { medianUs: number; maxUs: number } | null {
    const inside: number[] = [];
    for (let i = 0; i < this.at.length; i++) if (this.at[i] >= from && this.at[i] <= to) inside.push(this.us[i]);
    if (inside.length === 0) return null;
    inside.sort((a, b) => a - b);
    const mid = inside.length >> 1;
    const medianUs = inside.length % 2 === 1 ? inside[mid] : Math.round((inside[mid - 1] + inside[mid]) / 2);
    return { medianUs, maxUs: inside[inside.length - 1] };
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())]);
  }
}

/** Whether `serverUrl` names a server on this machine (so that its disk is the one FsyncProbe samples). */
export const isLocalServer = (serverUrl: string): boolean => {
  const host = new URL(serverUrl).hostname;
  return host === '' || host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
};
