import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { Relay } from '@clientela/messaging';
import { useTestWorld } from '@clientela/testing';
import { ProjectionRunner } from './projection-runner';
import { schemaOf } from './projection';
import { customerRevenueProjection, ordersCatalogue, placedOrder, startOrderWriters } from './testing/sample-orders';
import { readRows, waitForCheckpoint, watchTotal } from './testing/read-model';

/** Keeps a REPEATABLE READ snapshot open for `holdMs` at a time until stopped. */
const holdSnapshots = (pool: Pool, table: string, holdMs: number) => {
  let running = true;
  const loop = (async () => {
    const client = await pool.connect();
    try {
      while (running) {
        await client.query('begin isolation level repeatable read');
        await client.query(`select count(*) from ${table}`);
        await new Promise((resolve) => setTimeout(resolve, holdMs));
        await client.query('commit');
      }
    } finally {
      client.release();
    }
  })();
  return {
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
};

describe('rebuild from the store while the live copy follows Kafka', () => {
  const world = useTestWorld({ name: 'projections_kafka_rebuild', pool: { max: 20 }, store: (pool) => PostgresEventStore.create({ pool, catalogue: ordersCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(() => {
    ({ pool, store } = world);
  });

  const order = (customerId: string, i: number) => placedOrder(customerId, i % 97, i % 365);

  it('counts every order exactly once across the swap, and readers never see the total go back', async () => {
    const category = `order${randomUUID().slice(0, 8)}`;
    const topic = await world.topic('projection-rebuild', 3);
    const relayName = `relay_${randomUUID().slice(0, 8)}`;
    const relay = new Relay({ store, pool, kafka: world.kafkaConfig(), name: relayName, categories: { [category]: 'sales' }, topicOf: () => topic, batchSize: 200 });
    await relay.start();
    world.onCleanup(() => relay.stop());

    const projection = customerRevenueProjection({ name: `kafka_rebuild_${randomUUID().slice(0, 8)}`, categories: [category] });
    const table = `${schemaOf(projection)}.customer_revenue`;
    let written = 0;
    for (let i = 0; i < 40; i++) {
      await store.append(streamId(category), Array.from({ length: 50 }, (_, j) => order(`c${(i * 50 + j) % 60}`, i * 50 + j)));
      written += 50;
    }
    const runner = new ProjectionRunner({
      projection,
      store,
      pool,
      batchSize: 100,
      source: { kind: 'kafka', kafka: world.kafka(), topics: [topic], relayName, catalogue: ordersCatalogue(), watermarkIntervalMs: 100, batchSize: 50 },
    });
    world.onCleanup(() => runner.stop());
    await runner.start();
    await waitForCheckpoint(pool, projection.name, await store.headPosition(), 45_000);

    const writers = startOrderWriters(store, category, order, { pauseMs: 2 });
    let last = 0n;

    // Readers: the total number of orders seen may only grow. A half-built copy would show fewer.
    const readers = watchTotal(pool, table, 'orders', 2);
    // A REPEATABLE READ reader that keeps an old snapshot open for a while, again and again: each swap
    // waits for it, and Kafka keeps delivering into the live copy meanwhile (the window that once lost events).
    const slowReader = holdSnapshots(pool, table, 400);
    let watched: { reads: number; failures: unknown[] } = { reads: 0, failures: [] };

    try {
      // Let Kafka deliver into the live copy for a while, rebuild twice while it keeps doing so.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await runner.rebuild();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await runner.rebuild();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const flowed = await writers.stop();
      written += flowed.written;
      last = flowed.last;
      await waitForCheckpoint(pool, projection.name, last, 45_000);
    } finally {
      await writers.stop();
      watched = await readers.stop();
      await slowReader.stop();
    }
    const { reads, failures } = watched;

    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(10);
    const rows = await readRows(pool, projection, 'customer_revenue');
    expect(rows.reduce((sum, row) => sum + Number(row.orders), 0)).toBe(written);
    const { rows: state } = await pool.query<{ swap_position: string; position: string }>(
      `select swap_position::text, position::text from projections.state where name = $1`,
      [projection.name],
    );
    // Events came after the last swap, through Kafka.
    expect(BigInt(state[0].swap_position)).toBeLessThan(last);
    const { rows: schemas } = await pool.query(`select nspname from pg_namespace where nspname like $1`, [`${schemaOf(projection)}%`]);
    expect(schemas.map((s) => s.nspname)).toEqual([schemaOf(projection)]);
  });
});
