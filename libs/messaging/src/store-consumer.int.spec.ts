import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId, ValidationError } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { startStoreConsumer } from './consumer/create-consumers';
import { errorMessage } from '@clientela/platform';
import { useTestWorld } from '@clientela/testing';
import { applySampleOrder, createSampleReadModel, sampleCatalogue, countRows } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

describe('standalone consumer (event-store subscription)', () => {
  const world = useTestWorld({ name: 'messaging_store', store: (pool) => PostgresEventStore.create({ pool, catalogue: sampleCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    ({ pool, store } = world);
    await createSampleReadModel(pool, 'orders');
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

    await waitFor(async () => (await countRows(pool, 'orders')) === 18, async () => `${await countRows(pool, 'orders')} handled`);
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
    await waitFor(async () => (await countRows(pool, 'orders')) === 19, async () => `${await countRows(pool, 'orders')} handled after re-drive`);
    await waitFor(async () => (await again.deadLetters.list({ consumer: name })).length === 1, () => 're-driven letter still open');
    await append('o-20', 20);
    await waitFor(async () => (await countRows(pool, 'orders')) === 20, async () => `${await countRows(pool, 'orders')} after a new event`);
    const { rows } = await pool.query<{ order_id: string; n: string }>(`select order_id, count(*) as n from orders group by order_id having count(*) > 1`);
    expect(rows).toEqual([]);
    await again.stop();
  });

  it('dead-letters an event of a schema version newer than the catalogue knows, with its reason, and handles those before and after it', async () => {
    await createSampleReadModel(pool, 'orders_poison');
    const name = `poison-${randomUUID()}`;
    const stream = streamId('order');
    const append = (orderId: string, seq: number) =>
      store.append(stream, [{ type: 'OrderPlaced', data: { customerId: 'c-p', orderId, seq, amount: 1 } }]);
    await append('p-0', 0);
    await append('p-1', 1);
    await append('p-future', 2);
    await pool.query(`update event_store.events set metadata = jsonb_set(metadata, '{schemaVersion}', '9') where data->>'orderId' = 'p-future'`);
    await append('p-3', 3);
    await append('p-4', 4);
    const running = await startStoreConsumer({
      name,
      pool,
      store,
      catalogue: sampleCatalogue(),
      // The store is shared with the other tests: only this test's customer.
      handlers: { OrderPlaced: (event, { tx }) => (event.data.customerId === 'c-p' ? applySampleOrder(tx, 'orders_poison', event) : undefined) },
    });
    await waitFor(async () => (await countRows(pool, 'orders_poison')) === 4, async () => `${await countRows(pool, 'orders_poison')} handled, error ${String(running.consumer.error)}`, 10_000);
    await waitFor(async () => (await running.deadLetters.list({ consumer: name })).length === 1, () => 'no dead letter', 10_000);
    const [letter] = await running.deadLetters.list({ consumer: name });
    expect(letter).toEqual(expect.objectContaining({ eventType: 'OrderPlaced', reason: expect.stringMatching(/version 9/) }));
    const { rows } = await pool.query<{ order_id: string }>('select order_id from orders_poison order by arrival');
    expect(rows.map((r) => r.order_id)).toEqual(['p-0', 'p-1', 'p-3', 'p-4']);
    await running.stop();
  });

  it('runs one instance of a consumer name at a time: every effect once, no crash, the standby takes over', async () => {
    await createSampleReadModel(pool, 'orders_pair');
    const name = `pair-${randomUUID()}`;
    const start = () =>
      startStoreConsumer({
        name,
        pool,
        store,
        catalogue: sampleCatalogue(),
        batchSize: 5,
        takeoverIntervalMs: 50,
        handlers: { OrderPlaced: (event, { tx }) => (String(event.data.customerId).startsWith('pair-') ? applySampleOrder(tx, 'orders_pair', event) : undefined) },
      });
    const pair = await Promise.all([start(), start()]);
    const append = (n: number, from: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          store.append(streamId('order'), [{ type: 'OrderPlaced', data: { customerId: `pair-${i % 3}`, orderId: `q-${from + i}`, seq: from + i, amount: 1 } }]),
        ),
      );
    await append(40, 0);
    await waitFor(async () => (await countRows(pool, 'orders_pair')) === 40, async () => `${await countRows(pool, 'orders_pair')} handled`, 10_000);
    const twice = async () => (await pool.query(`select order_id from orders_pair group by order_id having count(*) > 1`)).rows;
    expect(await twice()).toEqual([]);
    expect(pair.map((r) => errorMessage(r.consumer.error ?? ''))).toEqual(['', '']);
    expect(pair.filter((r) => r.consumer.isLeading)).toHaveLength(1);
    const leader = pair.find((r) => r.consumer.isLeading)!;
    const standby = pair.find((r) => !r.consumer.isLeading)!;
    await leader.stop();
    await waitFor(() => standby.consumer.isLeading, () => 'standby did not take over', 10_000);
    await append(10, 40);
    await waitFor(async () => (await countRows(pool, 'orders_pair')) === 50, async () => `${await countRows(pool, 'orders_pair')} handled after takeover`, 10_000);
    expect(await twice()).toEqual([]);
    expect(standby.consumer.error).toBeUndefined();
    await standby.stop();
  });
});
