import { Client, type ClientConfig } from 'pg';

/**
 * One LISTEN connection per store, shared by all its subscriptions. NOTIFY only wakes
 * readers early; they never rely on it alone (a lost notification costs one poll interval).
 */
export class Notifier {
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Counts notifications, so a reader can tell whether one came while it was reading. */
  private generation = 0;

  constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    private readonly onError: (error: unknown) => void,
    /** Notifications with this payload are this process's own, whose readers were woken already. */
    private readonly ownPayload?: string,
  ) {}

  current(): number {
    void this.ensureListening();
    return this.generation;
  }

  /** Resolves on the first notification after `sinceGeneration`, or after `timeoutMs`. */
  wait(sinceGeneration: number, timeoutMs: number): Promise<void> {
    void this.ensureListening();
    if (this.generation !== sinceGeneration) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Wakes every waiter now (used on close). */
  wakeAll(): void {
    this.generation++;
    for (const waiter of [...this.waiters]) waiter();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.wakeAll();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private ensureListening(): Promise<void> {
    if (this.closed || this.client) return Promise.resolve();
    this.connecting ??= this.listen().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async listen(): Promise<void> {
    const client = new Client(this.config);
    client.on('notification', (message) => {
      if (this.ownPayload === undefined || message.payload !== this.ownPayload) this.wakeAll();
    });
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client, undefined));
    try {
      await client.connect();
      await client.query(`listen "${this.channel}"`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.wakeAll(); // anything sent while we were not listening: let readers look once
    } catch (error) {
      await client.end().catch(() => undefined);
      this.dropped(client, error);
    }
  }

  private dropped(client: Client, error: unknown): void {
    if (this.client === client) this.client = undefined;
    if (this.closed) return;
    if (error) this.onError(error);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.ensureListening(), 1_000);
    this.retryTimer.unref();
  }
}
