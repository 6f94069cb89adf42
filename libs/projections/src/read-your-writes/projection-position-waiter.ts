import { Client, type ClientConfig, type Pool } from 'pg';
import type { Position } from '@clientela/contracts';
import { CHECKPOINT_CHANNEL, DEFAULT_REGISTRY_SCHEMA } from '../registry';
import { getProjectionPositions } from '../projection-status';

interface Waiter {
  names: readonly string[];
  min: Position;
  resolve(reached: boolean): void;
}

/**
 * Answers "have these projections reached this position?", waiting for the checkpoint
 * notifications the runners send (LISTEN), never polling; when the listening connection drops, it
 * listens again and reads the positions pending waits need. One per process.
 */
export class ProjectionPositionWaiter {
  private readonly known = new Map<string, Position>();
  private readonly waiters = new Set<Waiter>();
  private listener: Client | undefined;
  private listening: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: { connection?: ClientConfig; registrySchema?: string } = {},
  ) {}

  /** True as soon as every named projection has passed `min`; false after `timeoutMs`. */
  async waitFor(names: readonly string[], min: Position, timeoutMs: number): Promise<boolean> {
    if (this.reached(names, min)) return true;
    await this.listen();
    // Read after LISTEN is in place, so no checkpoint can slip between the two.
    await this.refresh(names);
    if (this.reached(names, min)) return true;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        names,
        min,
        resolve: (reached) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        // One last look: a notification may have been lost with a dropped connection.
        void this.refresh(names)
          .catch(() => undefined)
          .then(() => waiter.resolve(this.reached(names, min)));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.resolve(false);
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  private reached(names: readonly string[], min: Position): boolean {
    return names.every((name) => (this.known.get(name) ?? -1n) >= min);
  }

  private async refresh(names: readonly string[]): Promise<void> {
    const positions = await getProjectionPositions(this.pool, names, this.options.registrySchema ?? DEFAULT_REGISTRY_SCHEMA);
    for (const [name, position] of positions) this.record(name, position);
  }

  private record(name: string, position: Position): void {
    if ((this.known.get(name) ?? -1n) < position) this.known.set(name, position);
  }

  private listen(): Promise<void> {
    if (this.listener || this.closed) return Promise.resolve();
    this.listening ??= this.connect().finally(() => {
      this.listening = undefined;
    });
    return this.listening;
  }

  /**
   * After the listening connection dropped with waiters pending: listen again, then read what they
   * wait for, since a checkpoint may have passed unheard. Where the database is away, their timeouts
   * answer (each reads the positions once more).
   */
  private async resume(): Promise<void> {
    try {
      await this.listen();
      await this.refresh([...new Set([...this.waiters].flatMap((waiter) => waiter.names))]);
    } catch {
      return;
    }
    this.wakeReached();
  }

  private wakeReached(): void {
    for (const waiter of [...this.waiters]) if (this.reached(waiter.names, waiter.min)) waiter.resolve(true);
  }

  private async connect(): Promise<void> {
    const client = new Client(this.options.connection ?? this.pool.options);
    const dropped = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.known.clear(); // positions may have moved unseen; read them again next time
      if (this.waiters.size > 0 && !this.closed) void this.resume();
    };
    client.on('error', dropped);
    client.on('end', dropped);
    client.on('notification', (message) => {
      const [name, position] = (message.payload ?? '').split(':');
      if (!name || !position || !/^\d+$/.test(position)) return;
      this.record(name, BigInt(position));
      this.wakeReached();
    });
    await client.connect();
    await client.query(`listen ${CHECKPOINT_CHANNEL}`);
    this.listener = client;
  }
}
