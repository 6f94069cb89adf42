import { Client, type ClientConfig, type Pool } from 'pg';

/**
 * What a store's LISTEN connection calls itself, so that appenders can tell whether anyone listens on
 * its channel. At most 63 characters, PostgreSQL's limit for an application name (it would cut a longer
 * one, which would then not equal the name looked for; schema names are ASCII, assertSchemaName); two
 * channels alike in those characters look like one, which only costs a NOTIFY nobody needed.
 */
export const listenerApplicationName = (channel: string): string => `clientela-listen:${channel}`.slice(0, 63);

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
  /** The listening connection's server process, while it listens. */
  private pid: number | undefined;

  constructor(
    private readonly config: ClientConfig,
    /** The channel it listens on: the one its store notifies on. */
    readonly channel: string,
    private readonly onError: (error: unknown) => void,
    /** Notifications with this payload are this process's own, whose readers were woken already. */
    private readonly ownPayload?: string,
  ) {}

  /** The server process of the LISTEN connection, while there is one: not another listener. */
  get listenerPid(): number | undefined {
    return this.client ? this.pid : undefined;
  }

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
    const client = new Client({ ...this.config, application_name: listenerApplicationName(this.channel) });
    client.on('notification', (message) => {
      if (this.ownPayload === undefined || message.payload !== this.ownPayload) this.wakeAll();
    });
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client, undefined));
    try {
      await client.connect();
      await client.query(`listen "${this.channel}"`);
      this.pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
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

/** How long an answer to "does anyone else listen?" stands before it is asked again. */
export const LISTENERS_CHECK_MS = 500;

/**
 * Whether any connection but the store's own listens on its channel (by the listener's application
 * name, in pg_stat_activity), asked at most every LISTENERS_CHECK_MS and never waited for: the NOTIFY
 * after appends is skipped while nobody would receive it. That NOTIFY is a transaction of its own,
 * and one-event appends from one writer paid about as much server CPU for it as for the append
 * (tools/bench/README.md, session 31). A listener that starts meanwhile reads once when its LISTEN is
 * in, and its subscriptions look once a second anyway: at worst it wakes that much later, once.
 * Until the first answer, and whenever the question fails, the answer is yes.
 */
export class OtherListeners {
  private listening = true;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    /** The store's own listener: its channel is the one asked about, its connection does not count. */
    private readonly own: Pick<Notifier, 'channel' | 'listenerPid'>,
  ) {}

  /** The latest answer; asks again in the background when it is older than LISTENERS_CHECK_MS. */
  any(): boolean {
    if (this.checking === undefined && Date.now() - this.checkedAt >= LISTENERS_CHECK_MS) {
      this.checking = this.pool
        .query<{ listening: boolean }>(
          `select exists (select 1 from pg_stat_activity
                           where datname = current_database() and application_name = $1 and pid <> $2) as listening`,
          [listenerApplicationName(this.own.channel), this.own.listenerPid ?? 0],
        )
        .then(
          ({ rows }) => {
            this.listening = rows[0]?.listening !== false;
          },
          () => {
            this.listening = true;
          },
        )
        .finally(() => {
          this.checkedAt = Date.now();
          this.checking = undefined;
        });
    }
    return this.listening;
  }

  /** Waits for a question in flight (before its pool closes). */
  async settled(): Promise<void> {
    await this.checking;
  }
}
