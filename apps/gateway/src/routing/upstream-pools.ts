import { Pool } from 'undici';

export interface UpstreamTimeouts {
  connectTimeoutMs: number;
  /** Headers timeout, and the longest silence inside a body. */
  timeoutMs: number;
}

/** One keep-alive undici pool per service: the extra hop through the gateway reuses warm connections. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(
    readonly urls: Readonly<Record<string, string>>,
    timeouts: UpstreamTimeouts,
  ) {
    for (const [service, url] of Object.entries(urls)) {
      this.pools.set(
        service,
        new Pool(url, {
          connections: 128,
          connectTimeout: timeouts.connectTimeoutMs,
          headersTimeout: timeouts.timeoutMs,
          bodyTimeout: timeouts.timeoutMs,
        }),
      );
    }
  }

  get services(): string[] {
    return [...this.pools.keys()];
  }

  pool(service: string): Pool | undefined {
    return this.pools.get(service);
  }

  /** Lets requests in flight finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs = 5_000): Promise<void> {
    await Promise.all(
      [...this.pools.values()].map(async (pool) => {
        let timer: NodeJS.Timeout | undefined;
        const closed = await Promise.race([
          pool.close().then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
        ]).finally(() => clearTimeout(timer));
        if (!closed) await pool.destroy();
      }),
    );
  }
}
