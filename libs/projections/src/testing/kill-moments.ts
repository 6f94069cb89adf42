import type { Pool, PoolClient } from 'pg';
import { START, type Position } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { schemaOf, type Projection } from '../projection';
import { DEFAULT_REGISTRY_SCHEMA } from '../registry';

/** Polls `check` until it holds; fails with `describe()` after the timeout. For tests. */
export const pollUntil = async (check: () => Promise<boolean>, describe: () => Promise<string> | string, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/**
 * Whether a projection-process child (APPLY_DELAY_MS > 0) sleeps inside a batch transaction that has
 * written something: a SIGKILL now lands mid-batch.
 */
export const isMidBatch = async (pool: Pool): Promise<boolean> => {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and query like 'select pg_sleep%' and state = 'active'
        and backend_xid is not null and application_name = ''`,
  );
  return rows[0].n > 0;
};

/** Waits until a child's connection sleeps inside a batch transaction. */
export const waitUntilMidBatch = (pool: Pool, pid: number): Promise<void> =>
  pollUntil(() => isMidBatch(pool), () => `process ${pid} never got into a batch`);

export interface RegistryRow {
  status: string;
  position: Position;
  ownerPid: number | undefined;
  rebuildEvents: number | undefined;
}

export const readRegistryRow = async (pool: Pool, name: string): Promise<RegistryRow | undefined> => {
  const { rows } = await pool.query<{ status: string; position: string; owner: string | null; rebuild_events: string | null }>(
    `select status, position::text, owner, rebuild_events::text from ${DEFAULT_REGISTRY_SCHEMA}.state where name = $1`,
    [name],
  );
  const row = rows[0];
  if (!row) return undefined;
  const pid = row.owner?.split(':')[1];
  return {
    status: row.status,
    position: BigInt(row.position),
    ownerPid: pid ? Number(pid) : undefined,
    rebuildEvents: row.rebuild_events === null ? undefined : Number(row.rebuild_events),
  };
};

/**
 * Holds the projection's registry row `for key share`: batches (which update it without touching its
 * key) go on, but a rebuild's swap, which takes the row `for update` first, waits until `release()`.
 */
export const holdSwap = async (pool: Pool, name: string) => {
  const client: PoolClient = await pool.connect();
  await client.query('begin');
  await client.query(`select 1 from ${DEFAULT_REGISTRY_SCHEMA}.state where name = $1 for key share`, [name]);
  return {
    /** Whether a swap is waiting for the row. */
    async swapWaiting(): Promise<boolean> {
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query like '%for update%'`,
      );
      return rows[0].n > 0;
    },
    async release(): Promise<void> {
      await client.query('rollback').catch(() => undefined);
      client.release();
    },
  };
};

/**
 * What a projection over the sample orders claims and what it holds, in one snapshot: the registry
 * position, and the orders counted in its copy; `claimed` is the orders of `category` in the store at or
 * below that position. A copy that holds fewer than it claims would answer read-your-writes wrongly.
 */
export const positionHeld = async (
  pool: Pool,
  store: EventStore,
  projection: Projection,
  category: string,
): Promise<{ position: Position; held: number; claimed: number }> => {
  const { rows } = await pool.query<{ position: string | null; held: string }>(
    `select (select position::text from ${DEFAULT_REGISTRY_SCHEMA}.state where name = $1) as position,
            (select coalesce(sum(orders), 0)::text from ${schemaOf(projection)}.customer_revenue) as held`,
    [projection.name],
  );
  const position = BigInt(rows[0].position ?? '0');
  let claimed = 0;
  let from: Position = START;
  for (;;) {
    const page = await store.readAll({ fromPosition: from, maxCount: 1_000, filter: { eventTypes: ['OrderPlaced'], categories: [category] } });
    claimed += page.events.filter((event) => event.position <= position).length;
    if (page.isEnd || page.events.some((event) => event.position > position)) break;
    from = page.nextPosition;
  }
  return { position, held: Number(rows[0].held), claimed };
};
