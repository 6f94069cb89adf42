import type { Pool } from 'pg';
import type { Position } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { schemaOf, type Projection } from '../projection';
import { ProjectionRunner } from '../projection-runner';
import { DEFAULT_REGISTRY_SCHEMA } from '../registry';

/**
 * A table's rows, ordered by primary key, every value as text (numerics trimmed of trailing
 * zeros, timestamps as ISO), so that two copies compare row for row.
 */
export const readRows = async (
  pool: Pool,
  projection: Projection,
  table: string,
  schema = schemaOf(projection),
): Promise<Array<Record<string, string | null>>> => {
  const definition = projection.tables[table];
  const columns = Object.keys(definition.columns);
  const select = columns
    .map((c) => {
      const column = definition.columns[c];
      const type = typeof column === 'string' ? column : column.type;
      if (type === 'numeric') return `trim_scale(${c})::text as ${c}`;
      if (type === 'timestamptz') return `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${c}`;
      return `${c}::text as ${c}`;
    })
    .join(', ');
  const { rows } = await pool.query<Record<string, string | null>>(
    `select ${select} from ${schema}.${table} order by ${definition.primaryKey.join(', ')}`,
  );
  return rows;
};

/** Resolves once the projection's checkpoint has reached `position`. */
export const waitForCheckpoint = async (pool: Pool, name: string, position: Position, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ position: string }>(`select position::text from ${DEFAULT_REGISTRY_SCHEMA}.state where name = $1`, [name]);
    if (rows[0] && BigInt(rows[0].position) >= position) return;
    if (Date.now() > deadline) throw new Error(`projection ${name} did not reach ${position} in ${timeoutMs} ms (at ${rows[0]?.position ?? 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/**
 * Readers that sum `column` of `table` over and over until stopped, noting every failed read and
 * every time the total went back (a half-built copy would show less): for rebuild-under-load tests.
 */
export const watchTotal = (pool: Pool, table: string, column: string, readers: number) => {
  let reading = true;
  let reads = 0;
  const failures: unknown[] = [];
  const running = Array.from({ length: readers }, async () => {
    let seen = 0;
    while (reading) {
      try {
        const { rows } = await pool.query<{ total: string }>(`select coalesce(sum(${column}), 0)::text as total from ${table}`);
        const total = Number(rows[0].total);
        if (total < seen) failures.push(new Error(`${column} went back from ${seen} to ${total}`));
        seen = total;
        reads++;
      } catch (error) {
        failures.push(error);
      }
    }
  });
  return {
    async stop(): Promise<{ reads: number; failures: unknown[] }> {
      reading = false;
      await Promise.all(running);
      return { reads, failures };
    },
  };
};

/**
 * Readers in REPEATABLE READ transactions that take their snapshot, wait a moment, then sum
 * `column` of `table` twice: both sums must agree, and no transaction may see less than an
 * earlier one. A swap that renames a copy in under an open snapshot would show a partial copy.
 */
export const watchTotalInSnapshots = (pool: Pool, table: string, column: string, readers: number) => {
  let reading = true;
  let transactions = 0;
  const failures: unknown[] = [];
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 30));
  const running = Array.from({ length: readers }, async () => {
    let seen = 0;
    while (reading) {
      const client = await pool.connect();
      try {
        await client.query('begin isolation level repeatable read');
        await client.query('select 1'); // the snapshot is taken here
        await pause();
        const sum = async () => Number((await client.query<{ total: string }>(`select coalesce(sum(${column}), 0)::text as total from ${table}`)).rows[0].total);
        const first = await sum();
        await pause();
        const second = await sum();
        await client.query('commit');
        if (second !== first) failures.push(new Error(`one snapshot saw ${column} total ${first}, then ${second}`));
        if (first < seen) failures.push(new Error(`${column} went back from ${seen} to ${first} in a later snapshot`));
        seen = Math.max(seen, first);
        transactions++;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        failures.push(error);
      } finally {
        client.release();
      }
    }
  });
  return {
    async stop(): Promise<{ transactions: number; failures: unknown[] }> {
      reading = false;
      await Promise.all(running);
      return { transactions, failures };
    },
  };
};

/** The rows a fresh store-driven runner builds for `projection` under another name: what any copy must equal. */
export const cleanRebuildRows = async (pool: Pool, store: EventStore, projection: Projection, table: string) => {
  const clean: Projection = { ...projection, name: `${projection.name}_clean` };
  const runner = new ProjectionRunner({ projection: clean, store, pool, batchSize: 500 });
  await runner.start();
  try {
    await waitForCheckpoint(pool, clean.name, await store.headPosition());
  } finally {
    await runner.stop();
  }
  return readRows(pool, clean, table);
};

/** An in-memory row (projectInMemory) in the shape readRows gives: numbers and timestamps as text. */
export const asReadRow = (row: Record<string, unknown>): Record<string, string | null> =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));
