import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sealingBatch, type SealingJob } from './sealing-batch';

/** Calls with fewer events to seal than this are sealed inline: the round trip to the thread would cost more than it saves. */
export const SEAL_IN_WORKER_FROM = 32;

/** A thread with no batch for this long ends (a process that stopped sealing large calls, a test file done); the next large call starts another. */
const IDLE_MS = 60_000;

/** After this many failures (a thread that died or would not start) the process stops trying and seals inline. */
const MAX_FAILURES = 3;

/** The thread's entry: under TypeScript (tests, `npm start`) it first registers the compiler the main thread runs with. */
const threadSource = (): string => {
  const entry = join(__dirname, `sealing-thread${extname(__filename)}`);
  const register = extname(__filename) === '.ts' ? `require(${JSON.stringify(require.resolve('@swc-node/register'))});` : '';
  return `${register}require(${JSON.stringify(entry)});`;
};

interface Pending {
  resolve: (sealed: string[]) => void;
  reject: (error: Error) => void;
}

/**
 * A thread of its own for the cipher work of large seals (the keyed hash and AES-GCM of each event,
 * about half of sealing's CPU): the appending thread lays the inputs out and builds the sealed
 * fields, the thread encrypts, so a batch append's sealing runs beside the rest of the append
 * instead of in its way. Same bytes as sealing inline (sealInput in both). One per process,
 * started on first use; until it is up, and if it fails, calls seal inline: a failure here never
 * fails an append. It keeps the process alive only while someone waits for it.
 */
export class SealingWorker {
  private static instance: SealingWorker | undefined;

  static shared(): SealingWorker {
    return (SealingWorker.instance ??= new SealingWorker());
  }

  private worker: Worker | undefined;
  private online = false;
  private failures = 0;
  /** Answers come in the order batches were posted. */
  private readonly pending: Pending[] = [];
  private readonly readiness: Array<(ready: boolean) => void> = [];
  private idle: NodeJS.Timeout | undefined;

  /** `source`: the thread's code (tests give a broken one), by default sealing-thread's; `idleMs`: how long an idle thread lives. */
  constructor(
    private readonly source: string = threadSource(),
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Whether a thread is up and taking batches. */
  get running(): boolean {
    return this.online && this.worker !== undefined;
  }

  /** Starts the thread if it is not running; true once it takes batches, false if it failed to start. */
  ready(): Promise<boolean> {
    if (this.online) return Promise.resolve(true);
    if (this.failures >= MAX_FAILURES) return Promise.resolve(false);
    this.start();
    return new Promise((resolve) => {
      this.readiness.push(resolve);
      this.hold();
    });
  }

  /**
   * The base64 of each job's IV | ciphertext | tag, in order; undefined where the caller must seal
   * inline (too few jobs, the thread not up yet, or given up on).
   */
  seal(jobs: readonly SealingJob[]): Promise<string[]> | undefined {
    if (jobs.length < SEAL_IN_WORKER_FROM || this.failures >= MAX_FAILURES) return undefined;
    if (!this.online || this.worker === undefined) {
      this.start();
      return undefined;
    }
    const batch = sealingBatch(jobs);
    const worker = this.worker;
    return new Promise<string[]>((resolve, reject) => {
      this.pending.push({ resolve: (sealed) => (sealed.length === jobs.length ? resolve(sealed) : reject(new Error('the sealing thread answered another number of events'))), reject });
      worker.postMessage(batch, [batch.inputs.buffer as ArrayBuffer, batch.keys.buffer as ArrayBuffer]);
      this.hold();
    });
  }

  /**
   * Keeps the process alive while anyone waits for the thread (a process waiting only for its
   * answer must not exit), not when idle; an idle thread ends after IDLE_MS.
   */
  private hold(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    const worker = this.worker;
    if (worker === undefined) return;
    if (this.pending.length > 0 || this.readiness.length > 0) {
      worker.ref();
      return;
    }
    worker.unref();
    this.idle = setTimeout(() => {
      if (this.worker !== worker || this.pending.length > 0) return;
      // Not a failure: forgotten first, so its exit is not counted.
      this.worker = undefined;
      this.online = false;
      void worker.terminate();
    }, this.idleMs).unref();
  }

  private start(): void {
    if (this.worker !== undefined) return;
    const worker = new Worker(this.source, { eval: true });
    this.worker = worker;
    worker.on('message', (message: string | { ready: true }) => {
      if (typeof message === 'string') {
        this.pending.shift()?.resolve(message.split(','));
      } else {
        this.online = true;
        for (const resolve of this.readiness.splice(0)) resolve(true);
      }
      this.hold();
    });
    const fail = (error: Error): void => {
      if (this.worker !== worker) return;
      this.failures++;
      this.worker = undefined;
      this.online = false;
      for (const pending of this.pending.splice(0)) pending.reject(error);
      for (const resolve of this.readiness.splice(0)) resolve(false);
      void worker.terminate();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the sealing thread exited (code ${code})`)));
    // After the listeners: adding a message listener refs the port again.
    this.hold();
  }
}
