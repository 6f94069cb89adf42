import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId, type Position } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { ProjectionRunner } from './projection-runner';
import { schemaOf } from './projection';
import { customerRevenueProjection, ordersCatalogue } from './testing/sample-orders';
import { readRows, waitForCheckpoint, watchTotal } from './testing/read-model';

describe('rebuild under load', () => {
  let database: TestDatabase;
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = database.pool({ max: 12 });
    store = await PostgresEventStore.create({ pool, catalogue: ordersCatalogue() });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const order = (customerId: string, i: number) => ({
    type: 'OrderPlaced',
    data: { orderId: randomUUID(), customerId, amount: (i % 997) / 10, currency: 'USD', items: 1, placedAt: new Date(Date.UTC(1997, 0, 1 + (i % 365))).toISOString() },
  });

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

    let writing = true;
    let last: Position = 0n;
    const writers = Array.from({ length: 3 }, async (_, w) => {
      let i = 0;
      while (writing) {
        const result = await store.append(streamId(category), [order(`c${(w * 13 + i) % 60}`, i), order(`c${(w * 7 + i) % 60}`, i + 1)]);
        written += 2;
        if (result.position > last) last = result.position;
        i++;
      }
    });

    // Readers: the total number of orders seen may only grow. A half-built copy would show fewer.
    const readers = watchTotal(pool, table, 'orders', 3);

    await new Promise((resolve) => setTimeout(resolve, 200));
    await runner.rebuild();
    await new Promise((resolve) => setTimeout(resolve, 200));
    writing = false;
    await Promise.all(writers);
    await waitForCheckpoint(pool, projection.name, last);
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
});
