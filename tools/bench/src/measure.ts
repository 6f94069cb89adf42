/** Timing, concurrency and memory helpers shared by the benches. */
import { cpus } from 'node:os';

export interface Measured<T> {
  result: T;
  ms: number;
  /** Peak resident set size of this process while the work ran, sampled every 20 ms. */
  rssPeakMb: number;
  /** CPU time (user + system) this process spent meanwhile: the client's share of the work. */
  cpuS: number;
  /**
   * CPU time every core of the machine spent busy meanwhile (this process, PostgreSQL, the broker,
   * anything else): with `ms`, whether the work was bound by the CPU (busy near cores × ms) or waited.
   */
  machineCpuS: number;
}

/** Busy time of all cores so far, in ms (os.cpus(): user, nice, sys and irq; idle left out). */
const machineBusyMs = (): number => {
  let busy = 0;
  for (const { times } of cpus()) busy += times.user + times.nice + times.sys + times.irq;
  return busy;
};

/** Milliseconds since the epoch, to the microsecond: comparable across threads and callbacks (each thread's `performance.now()` has its own origin). */
export const epochMs = (): number => performance.timeOrigin + performance.now();

const MB = 1024 * 1024;

let gc: (() => void) | undefined;

/**
 * A full collection now, so that a measured part does not pay for the garbage of the one before it
 * (after the peer's 40 s read left a 1.7 GB heap, whatever read next ran up to a fifth slower).
 */
export const collectGarbage = async (): Promise<void> => {
  if (gc === undefined) {
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  // Twice: the second also finishes freeing the first's dead ArrayBuffers (swept in the background).
  gc();
  gc();
};

/**
 * Runs `work`, timing it and sampling this process's RSS meanwhile. With `BENCH_CPU_PROFILE_DIR` set,
 * a measured part that has a `label` is CPU-profiled on its own into `<dir>/<label>.cpuprofile`
 * (`node --cpu-prof` would mix it with loading and the other contenders).
 */
export const measure = async <T>(work: () => Promise<T>, label?: string): Promise<Measured<T>> => {
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  if (profileDir && label) return profiled(profileDir, label, () => measure(work));
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const cpu = process.cpuUsage();
  const machine = machineBusyMs();
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpu);
    const machineCpuS = round((machineBusyMs() - machine) / 1000, 2);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, ms, rssPeakMb: round(peak / MB, 1), cpuS: round((used.user + used.system) / 1e6, 2), machineCpuS };
  } finally {
    clearInterval(timer);
  }
};

const profiled = async <T>(dir: string, label: string, work: () => Promise<T>): Promise<T> => {
  const { Session } = await import('node:inspector/promises');
  const { mkdir, writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/${label}.cpuprofile`, JSON.stringify(profile));
    return result;
  } finally {
    session.disconnect();
  }
};

/**
 * `concurrency` workers take items in order from one shared queue until it is empty; each
 * item is handled by exactly one worker. Rejects on the first failure (after the others stop).
 */
export const runConcurrently = async <T>(
  concurrency: number,
  items: readonly T[],
  handle: (item: T, worker: number) => Promise<void>,
): Promise<void> => {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (id: number): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await handle(item, id);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, (_, id) => worker(id)));
  if (failure) throw failure.error;
};

/** Call latencies in milliseconds, appended as they come. */
export class Latencies {
  private values = new Float64Array(1024);
  private count = 0;

  async time<T>(call: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    const result = await call();
    this.add(Number(process.hrtime.bigint() - started) / 1e6);
    return result;
  }

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  get size(): number {
    return this.count;
  }

  /** The q-quantile (0..1), nearest rank; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const sorted = this.values.slice(0, this.count).sort();
    return round(sorted[Math.min(this.count - 1, Math.max(0, Math.ceil(q * this.count) - 1))], 2);
  }
}

export const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

export const perSecond = (count: number, ms: number): number => (ms > 0 ? round((count * 1000) / ms, 1) : 0);

/** Our rate over theirs, to 3 decimals. */
export const ratio = (ours: number, theirs: number): number => (theirs > 0 ? round(ours / theirs, 3) : 0);

/** The middle value (the mean of the two middle ones for an even count); 0 when empty. */
export const median = (values: readonly number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : round((sorted[middle - 1] + sorted[middle]) / 2, 3);
};

/** (max - min) / median of the rounds' rates: 0.1 means the rounds spread over 10% of the median. */
export const spread = (values: readonly number[]): number => {
  const m = median(values);
  return m > 0 ? round((Math.max(...values) - Math.min(...values)) / m, 3) : 0;
};
