import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { CHECKPOINT_CHANNEL } from '@clientela/projections';

export const STORE_CHANNEL = 'event_store_events';

export interface Checkpoint {
  /** performance.now() when this process saw the notification. */
  at: number;
  position: bigint;
}

/**
 * One plain LISTEN connection in the bench process, on the runners' checkpoint channel
 * (payload `<name>:<position>`) and on the event store's own channel (sent after each append,
 * empty payload). It notes when each notification arrived.
 */
export class NotificationListener {
  /** Checkpoints of the projection watched, in arrival order. */
  readonly checkpoints: Checkpoint[] = [];
  /** Arrival times of the store's notifications. */
  readonly storeNotifications: number[] = [];
  private waiters: Array<{ position: bigint; resolve: () => void }> = [];
  private latest = -1n;

  private constructor(
    private readonly client: Client,
    private readonly projection: string,
  ) {}

  static async create(url: string, projection: string): Promise<NotificationListener> {
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined); // the database is dropped with force at the end
    const listener = new NotificationListener(client, projection);
    client.on('notification', (message) => {
      const at = performance.now();
      if (message.channel === STORE_CHANNEL) {
        listener.storeNotifications.push(at);
        return;
      }
      if (message.channel !== CHECKPOINT_CHANNEL || !message.payload) return;
      const colon = message.payload.lastIndexOf(':');
      if (message.payload.slice(0, colon) !== listener.projection) return;
      listener.noteCheckpoint(at, BigInt(message.payload.slice(colon + 1)));
    });
    await client.connect();
    await client.query(`listen ${CHECKPOINT_CHANNEL}`);
    await client.query(`listen ${STORE_CHANNEL}`);
    return listener;
  }

  /** Forgets what was noted so far: each phase matches only its own notifications. */
  reset(): void {
    this.checkpoints.length = 0;
    this.storeNotifications.length = 0;
    this.latest = -1n;
  }

  /** Resolves once a checkpoint at or past `position` has arrived; rejects after `timeoutMs`. */
  reached(position: bigint, timeoutMs: number): Promise<void> {
    if (this.latest >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { position, resolve: () => undefined as void };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`projection ${this.projection} did not reach ${position} in ${timeoutMs} ms (at ${this.latest})`));
      }, timeoutMs);
      waiter.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  close(): Promise<void> {
    return this.client.end().catch(() => undefined);
  }

  private noteCheckpoint(at: number, position: bigint): void {
    this.checkpoints.push({ at, position });
    if (position > this.latest) this.latest = position;
    const done = this.waiters.filter((w) => w.position <= this.latest);
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.position > this.latest);
    for (const waiter of done) waiter.resolve();
  }
}
