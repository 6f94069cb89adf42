import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { useTestWorld } from '@clientela/testing';
import { startKafkaConsumer } from './consumer/create-consumers';
import { Relay } from './relay/relay';
import { sampleCatalogue, type SampleOrderData } from './testing/sample-events';
import { spawnConsumerProcess } from './testing/spawn-consumer-process';
import { waitFor } from './testing/wait-for';

const EVENTS = 3_000;
const readModel = (table: string) =>
  `create table ${table} (customer_id text primary key, orders int not null, total numeric not null, last_seq int not null)`;

describe('a consumer killed mid-batch', () => {
  const world = useTestWorld({ name: 'messaging_crash', store: (pool) => PostgresEventStore.create({ pool, catalogue: sampleCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;
  let topic: string;

  beforeAll(async () => {
    ({ pool, store } = world);
    topic = await world.topic('crash', 3);
    await pool.query(readModel('crashed_totals'));
    await pool.query(readModel('clean_totals'));
  });

  it('leaves, after SIGKILL and restart, the read model one clean pass builds: nothing lost, nothing doubled', async () => {
    const customers = Array.from({ length: 100 }, () => randomUUID());
    for (let seq = 0; seq < EVENTS / customers.length; seq++) {
      await Promise.all(
        customers.map((customerId) =>
          store.append(streamId('order'), [{ type: 'OrderPlaced', data: { customerId, orderId: `${customerId}-${seq}`, seq, amount: seq + 1 } }]),
        ),
      );
    }
    const relay = new Relay({ store, pool, kafka: world.kafkaConfig(), name: 'crash', topicOf: () => topic });
    await relay.start();
    await waitFor(async () => relay.checkpoint === (await store.headPosition()), () => 'relay did not publish everything');
    await relay.stop();

    const group = `crash-${randomUUID()}`;
    const env = { DATABASE_URL: world.database.url, KAFKA_BROKERS: world.brokers.join(','), TOPIC: topic, GROUP: group, TABLE: 'crashed_totals', BATCH_SIZE: '100', APPLY_DELAY_MS: '1' };
    const handled = async () =>
      Number((await pool.query<{ n: string }>('select count(*) as n from messaging.handled_events where consumer = $1', [group])).rows[0].n);
    const first = await spawnConsumerProcess(env);
    // Kill it while a batch's transaction is open, after some batches have committed.
    await waitFor(
      async () =>
        (await handled()) >= 300 &&
        ((await pool.query(`select 1 from pg_stat_activity where application_name = 'crash-consumer' and xact_start is not null and datname = $1`, [world.database.name]))
          .rowCount ?? 0) > 0,
      async () => `handled ${await handled()}; ${first.output()}`,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await handled();
    expect(atKill).toBeLessThan(EVENTS);

    const second = await spawnConsumerProcess({ ...env, APPLY_DELAY_MS: '0' });
    await waitFor(async () => (await handled()) === EVENTS, async () => `handled ${await handled()} of ${EVENTS}; ${second.output()}`, 90_000);
    second.child.kill('SIGTERM');
    await second.exited;

    const clean = await startKafkaConsumer<RecordedEvent>({
      kafka: world.kafka(),
      name: `clean-${randomUUID()}`,
      pool,
      topics: [topic],
      catalogue: sampleCatalogue(),
      handlers: {
        OrderPlaced: async (event, { tx }) => {
          const order = event.data as unknown as SampleOrderData;
          await tx.query(
            `insert into clean_totals (customer_id, orders, total, last_seq) values ($1, 1, $2, $3)
             on conflict (customer_id) do update set orders = clean_totals.orders + 1, total = clean_totals.total + excluded.total, last_seq = excluded.last_seq`,
            [order.customerId, order.amount, order.seq],
          );
        },
      },
    });
    const cleanRows = async () => Number((await pool.query<{ n: string }>('select coalesce(sum(orders), 0) as n from clean_totals')).rows[0].n);
    await waitFor(async () => (await cleanRows()) === EVENTS, async () => `clean pass at ${await cleanRows()}`);
    await clean.stop();

    const table = async (name: string) => (await pool.query(`select customer_id, orders, total::text, last_seq from ${name} order by customer_id`)).rows;
    const crashed = await table('crashed_totals');
    expect(crashed).toHaveLength(100);
    expect(crashed).toEqual(await table('clean_totals'));
    expect(crashed.every((row) => row.orders === 30 && row.last_seq === 29)).toBe(true);
  });
});
