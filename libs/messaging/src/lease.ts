import { Client, type Pool } from 'pg';

/**
 * One active instance per name (a relay, a standalone consumer, a projection runner): a session
 * advisory lock on a connection of its own, so it goes when the process or its connection dies
 * and a standby takes over.
 */
export class AdvisoryLease {
  private client: Client | undefined;

  constructor(
    private readonly pool: Pool,
    /** The lock's name, e.g. `clientela.relay.<name>`. */
    private readonly key: string,
    /** Called when a held lease is lost with its connection. */
    private readonly onLost: () => void = () => undefined,
    /** Where the lease's connection goes; the pool's settings by default. */
    private readonly connectionString?: string,
  ) {}

  /** The lease's own connection while held: a holder may LISTEN on it (it lives exactly as long as the lease). */
  get connection(): Client | undefined {
    return this.client;
  }

  get held(): boolean {
    return this.client !== undefined;
  }

  /** True when this instance now holds the lease; throws when PostgreSQL cannot be reached. */
  async tryAcquire(): Promise<boolean> {
    if (this.client) return true;
    const client = new Client(this.connectionString ? { connectionString: this.connectionString } : this.pool.options);
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.onLost();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [this.key]);
      if (!rows[0]?.locked) {
        await client.end();
        return false;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return true;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
