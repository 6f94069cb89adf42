import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId, ValidationError } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { startStoreConsumer } from './consumer/create-consumers';
import { applySampleOrder, createSampleReadModel, sampleCatalogue } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

const count = async (pool: Pool, table: string) => Number((await pool.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0].n);

describe('standalone consumer (event-store subscription)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('messaging_store');
    pool = db.pool({ max: 10 });
    store = await PostgresEventStore.create({ pool, catalogue: sampleCatalogue() });
    await createSampleReadModel(pool, 'orders');
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('handles every event once, dead-letters a poison one to the table, goes on, and re-drives it', async () => {
    let fixed = false;
    const name = `standalone-${randomUUID()}`;
    const handlers = {
      OrderPlaced: async (event: { data: Record<string, unknown> }, { tx }: { tx: import('pg').PoolClient }) => {
        if (event.data.orderId === 'explode' && !fixed) throw new Error('cannot ship to the moon');
        if (event.data.orderId === 'refuse') throw new ValidationError('order refused by the read model');
        await applySampleOrder(tx, 'orders', event as never);
      },
    };
    const start = () =>
      startStoreConsumer({
        name,
        pool,
        store,
        catalogue: sampleCatalogue(),
        handlers,
        redrivePollMs: 50,
        retry: { maxAttempts: 3, backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 } },
      });
    const running = await start();
    const append = (orderId: string, seq: number) =>
      store.append(streamId('order'), [{ type: 'OrderPlaced', data: { customerId: 'c-1', orderId, seq, amount: 1 } }]);
    for (let seq = 0; seq < 10; seq++) await append(`o-${seq}`, seq);
    await append('explode', 10);
    await append('refuse', 11);
    for (let seq = 12; seq < 20; seq++) await append(`o-${seq}`, seq);

    await waitFor(async () => (await count(pool, 'orders')) === 18, async () => `${await count(pool, 'orders')} handled`);
    await waitFor(async () => (await running.deadLetters.list({ consumer: name })).length === 2, () => 'dead letters');
    const letters = await running.deadLetters.list({ consumer: name });
    const explode = letters.find((l) => l.code === 'handler_failed');
    expect(explode).toEqual(expect.objectContaining({ reason: 'cannot ship to the moon', attempts: 3, eventType: 'OrderPlaced' }));
    expect(JSON.parse(explode!.value)).toEqual(expect.objectContaining({ type: 'OrderPlaced', data: expect.objectContaining({ orderId: 'explode' }) }));
    expect(letters.find((l) => l.code === 'validation_failed')).toEqual(expect.objectContaining({ reason: 'order refused by the read model', attempts: 1 }));

    // A restart from scratch (checkpoint gone) redelivers everything: the idempotency record absorbs it.
    await running.stop();
    await pool.query(`delete from messaging.checkpoints where name = $1`, [`consumer:${name}`]);
    fixed = true;
    const again = await start();
    await again.deadLetters.redrive({ consumer: name, ids: [explode!.id] });
    await waitFor(async () => (await count(pool, 'orders')) === 19, async () => `${await count(pool, 'orders')} handled after re-drive`);
    await waitFor(async () => (await again.deadLetters.list({ consumer: name })).length === 1, () => 're-driven letter still open');
    await append('o-20', 20);
    await waitFor(async () => (await count(pool, 'orders')) === 20, async () => `${await count(pool, 'orders')} after a new event`);
    const { rows } = await pool.query<{ order_id: string; n: string }>(`select order_id, count(*) as n from orders group by order_id having count(*) > 1`);
    expect(rows).toEqual([]);
    await again.stop();
  });
});
