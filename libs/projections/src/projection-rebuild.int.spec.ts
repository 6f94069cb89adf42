import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId, type Position } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { useTestWorld } from '@clientela/testing';
import { waitUntilReadable } from '@clientela/event-store/testing';
import { ProjectionRunner } from './projection-runner';
import { defineProjection, schemaOf, type SqlProjection } from './projection';
import { getProjectionStatus } from './projection-status';
import { writeRowChanges } from './sql-writer';
import { appendSampleOrders, customerRevenueProjection, ordersCatalogue, placedOrder, startOrderWriters } from './testing/sample-orders';
import { readRows, waitForCheckpoint, watchTotal, watchTotalInSnapshots } from './testing/read-model';
import { pollUntil } from './testing/kill-moments';

describe('rebuild under load', () => {
  const world = useTestWorld({ name: 'projections_rebuild', pool: { max: 12 }, store: (pool) => PostgresEventStore.create({ pool, catalogue: ordersCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(() => {
    ({ pool, store } = world);
  });

  const order = (customerId: string, i: number) => placedOrder(customerId, (i % 997) / 10, i % 365);

  it('swaps in a rebuilt copy while writers append and readers read: no read fails or goes back, no event is missed', async () => {
    const category = `order${randomUUID().slice(0, 8)}`;
    const projection = customerRevenueProjection({ name: `rebuild_${randomUUID().slice(0, 8)}`, categories: [category] });
    const table = `${schemaOf(projection)}.customer_revenue`;
    let written = 0;
    for (let i = 0; i < 40; i++) {
      await store.append(streamId(category), Array.from({ length: 50 }, (_, j) => order(`c${(i * 50 + j) % 60}`, i * 50 + j)));
      written += 50;
    }
    const runner = new ProjectionRunner({ projection, store, pool, batchSize: 100 });
    await runner.start();
    await waitForCheckpoint(pool, projection.name, await store.headPosition());

    const writers = startOrderWriters(store, category, order);

    // Readers: the total number of orders seen may only grow. A half-built copy would show fewer.
    const readers = watchTotal(pool, table, 'orders', 3);
    // Each swap moves the copy's generation, which caches of its rows compare.
    const generation = async () => (await pool.query<{ g: string }>('select generation::text as g from projections.state where name = $1', [projection.name])).rows[0].g;
    expect(await generation()).toBe('0');

    await new Promise((resolve) => setTimeout(resolve, 200));
    await runner.rebuild();
    expect(await generation()).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const flowed = await writers.stop();
    written += flowed.written;
    await waitForCheckpoint(pool, projection.name, flowed.last);
    const { reads, failures } = await readers.stop();
    await runner.stop();

    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(10);
    const rows = await readRows(pool, projection, 'customer_revenue');
    const totalOrders = rows.reduce((sum, row) => sum + Number(row.orders), 0);
    expect(totalOrders).toBe(written);
    const { rows: schemas } = await pool.query(`select nspname from pg_namespace where nspname like $1`, [`${schemaOf(projection)}%`]);
    expect(schemas.map((s) => s.nspname)).toEqual([schemaOf(projection)]);
  });

  it('shows readers in REPEATABLE READ transactions either the old copy or the whole new one across swaps, never part of it', async () => {
    const category = `order${randomUUID().slice(0, 8)}`;
    const projection = customerRevenueProjection({ name: `snapshots_${randomUUID().slice(0, 8)}`, categories: [category] });
    const table = `${schemaOf(projection)}.customer_revenue`;
    await appendSampleOrders(store, category, 2_000);
    const runner = new ProjectionRunner({ projection, store, pool, batchSize: 100 });
    await runner.start();
    await waitForCheckpoint(pool, projection.name, await store.headPosition());
    let writing = true;
    let last: Position = 0n;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        const result = await store.append(streamId(category), [order(`c${i % 60}`, i++)]);
        if (result.position > last) last = result.position;
      }
    })();
    const readers = watchTotalInSnapshots(pool, table, 'orders', 4);
    try {
      for (let rebuild = 0; rebuild < 4; rebuild++) await runner.rebuild();
    } finally {
      writing = false;
      await writer;
    }
    const { transactions, failures } = await readers.stop();
    await waitForCheckpoint(pool, projection.name, last);
    await runner.stop();
    expect(failures.map(String)).toEqual([]);
    expect(transactions).toBeGreaterThan(20);
  });

  it('does not commit a swap while a statement that has opened the live copy runs', async () => {
    const category = `order${randomUUID().slice(0, 8)}`;
    const projection = customerRevenueProjection({ name: `opened_${randomUUID().slice(0, 8)}`, categories: [category] });
    const schema = schemaOf(projection);
    const last = await appendSampleOrders(store, category, 60);
    const runner = new ProjectionRunner({ projection, store, pool, batchSize: 25, swapSnapshotWaitMs: 200, swapLockWaitMs: 60_000 });
    await runner.start();
    await waitForCheckpoint(pool, projection.name, last);
    // The live copy is marked so that a read tells the copies apart: the old one holds no order, the rebuilt one 60.
    await pool.query(`update ${schema}.customer_revenue set orders = 0`);
    const gate = `${schema}_gate`;
    await pool.query(`create table public.${gate} ()`);
    const swapped = async () =>
      (await pool.query<{ swapped: boolean }>(`select swap_position > 0 as swapped from projections.state where name = $1`, [projection.name])).rows[0].swapped;
    const holder = await pool.connect();
    const reader = await pool.connect();
    try {
      await holder.query('begin');
      await holder.query(`lock table public.${gate} in access exclusive mode`);
      // PostgreSQL locks a statement's tables (FROM first) before it takes the snapshot it reads under:
      // this one holds the live table and waits at the gate for its snapshot.
      const read = reader.query<{ swapped: boolean; held: number }>(
        `select (select swap_position > 0 from projections.state where name = $1) as swapped, coalesce(sum(c.orders), 0)::int as held,
                (select count(*) from public.${gate}) as gate
           from ${schema}.customer_revenue c`,
        [projection.name],
      );
      await pollUntil(
        async () => (await pool.query(`select count(*)::int as n from pg_locks where relation = $1::regclass and not granted`, [`public.${gate}`])).rows[0].n === 1,
        () => 'the read never reached the gate',
      );
      const rebuilt = runner.rebuild();
      // Unlocked, the swap commits within a few hundred ms; locked, it waits for the read.
      await pollUntil(swapped, () => 'no swap', 3_000).catch(() => undefined);
      await holder.query('commit');
      const { rows } = await read;
      await rebuilt;
      expect(rows[0]).toMatchObject({ swapped: false, held: 0 });
      expect(await swapped()).toBe(true);
      const after = await readRows(pool, projection, 'customer_revenue');
      expect(after.reduce((sum, row) => sum + Number(row.orders), 0)).toBe(60);
    } finally {
      await holder.query('rollback').catch(() => undefined);
      holder.release();
      reader.release();
      await runner.stop();
      await pool.query(`drop table if exists public.${gate}`);
    }
  });

  describe('what an interrupted or failed rebuild leaves', () => {
    const schemasOf = async (projection: { name: string }) => {
      const { rows } = await pool.query<{ nspname: string }>(`select nspname from pg_namespace where nspname like $1 order by 1`, [`${schemaOf(projection)}%`]);
      return rows.map((row) => row.nspname);
    };

    /** A live runner of the sample projection over a category of its own, caught up with `orders` orders. */
    const liveRunner = async (prefix: string, orders = 60) => {
      const category = `order${randomUUID().slice(0, 8)}`;
      const projection = customerRevenueProjection({ name: `${prefix}_${randomUUID().slice(0, 8)}`, categories: [category] });
      const last = await appendSampleOrders(store, category, orders);
      const runner = new ProjectionRunner({ projection, store, pool, batchSize: 25 });
      await runner.start();
      await waitForCheckpoint(pool, projection.name, last);
      return { category, projection, runner };
    };

    it('clears, when a runner starts, the shadow copy, an old copy and the rebuild progress an interrupted rebuild left', async () => {
      const { projection, runner } = await liveRunner('leftover');
      await runner.stop();
      const schema = schemaOf(projection);
      // As a process killed during a rebuild, and one killed between a swap's commit and its drop, leave them.
      await pool.query(`create schema ${schema}__rebuild; create table ${schema}__rebuild.customer_revenue (customer_id text primary key)`);
      await pool.query(`create schema ${schema}__old; create table ${schema}__old.customer_revenue (customer_id text primary key)`);
      await pool.query(
        `update projections.state set status = 'rebuilding', rebuild_version = 1, rebuild_position = 0, rebuild_head = 1, rebuild_events = 5,
                rebuild_started_at = now() where name = $1`,
        [projection.name],
      );
      const before = await readRows(pool, projection, 'customer_revenue');

      const again = new ProjectionRunner({ projection, store, pool, batchSize: 25 });
      await again.start();
      try {
        await pollUntil(async () => again.status === 'live', () => `runner ${again.status}`);
        expect(await schemasOf(projection)).toEqual([schema]);
        const [status] = await getProjectionStatus(pool, store, [projection]);
        expect(status.rebuild).toBeUndefined();
        expect(await readRows(pool, projection, 'customer_revenue')).toEqual(before);
      } finally {
        await again.stop();
      }
    });

    it('swaps a rebuilt copy in although an earlier swap left its old copy behind', async () => {
      const { category, projection, runner } = await liveRunner('old_left');
      try {
        const schema = schemaOf(projection);
        await pool.query(`create schema ${schema}__old; create table ${schema}__old.customer_revenue (customer_id text primary key)`);
        const last = await appendSampleOrders(store, category, 5);
        await runner.rebuild();
        await waitForCheckpoint(pool, projection.name, last);
        expect(await schemasOf(projection)).toEqual([schema]);
        const rows = await readRows(pool, projection, 'customer_revenue');
        expect(rows.reduce((sum, row) => sum + Number(row.orders), 0)).toBe(65);
      } finally {
        await runner.stop();
      }
    });

    it('shows a failed rebuild in the status, with its error, and the live copy keeps following', async () => {
      const category = `order${randomUUID().slice(0, 8)}`;
      const base = customerRevenueProjection({ name: `failing_${randomUUID().slice(0, 8)}`, categories: [category] });
      const { project, ...shape } = base;
      // Fails in the shadow copy only: the live copy is fine, the rebuild is not.
      const projection = defineProjection<SqlProjection>({
        ...shape,
        apply: async (events, tx) => {
          if (tx.schema.endsWith('__rebuild')) throw new Error('shadow copy refused');
          await writeRowChanges(tx.client, base, events.flatMap((event) => project(event)));
        },
      });
      const appended = await appendSampleOrders(store, category, 20);
      // readAll sees only what is below every write transaction open in the cluster (other test files' too):
      // a rebuild that read none of these events would have nothing to refuse.
      await waitUntilReadable(store, appended);
      const runner = new ProjectionRunner({ projection, store, pool, batchSize: 25 });
      await runner.start();
      try {
        await waitForCheckpoint(pool, projection.name, appended);
        await expect(runner.rebuild()).rejects.toThrow('shadow copy refused');

        const [status] = await getProjectionStatus(pool, store, [projection]);
        expect(status.lastError?.message).toMatch(/rebuild failed: shadow copy refused/);
        expect(status.status).toBe('live');
        expect(status.rebuild).toBeUndefined();
        expect(runner.status).toBe('live');
        const last = await appendSampleOrders(store, category, 3);
        await waitForCheckpoint(pool, projection.name, last);
        const rows = await readRows(pool, projection, 'customer_revenue');
        expect(rows.reduce((sum, row) => sum + Number(row.orders), 0)).toBe(23);
      } finally {
        await runner.stop();
      }
    });
  });
});
