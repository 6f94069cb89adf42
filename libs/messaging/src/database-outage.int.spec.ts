import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { streamId, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { startDisposablePostgres, type DisposablePostgres } from '@clientela/testing';
import { createTestTopics, deleteTestTopics, kafkaBrokersForTest, testKafka, testKafkaConfig, uniqueTopicName } from '@clientela/testing';
import { startKafkaConsumer, type RunningKafkaConsumer } from './consumer/create-consumers';
import type { LogSink } from '@clientela/platform';
import { Relay } from './relay/relay';
import { applySampleOrder, createSampleReadModel, customersOutOfOrder, sampleCatalogue } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

const CUSTOMERS = 50;
const ROUNDS = 30;

describe('a PostgreSQL restart while the relay and consumers run', () => {
  let pg: DisposablePostgres;
  let pool: Pool;
  let store: PostgresEventStore;
  let relay: Relay | undefined;
  let consumer: RunningKafkaConsumer<RecordedEvent> | undefined;
  const brokers = kafkaBrokersForTest();
  const topic = uniqueTopicName('db-outage');
  const logs: string[] = [];
  const logger: LogSink = {
    debug: () => undefined,
    info: (message) => logs.push(`info ${message}`),
    warn: (message) => logs.push(`warn ${message}`),
    error: (message) => logs.push(`error ${message}`),
  };

  beforeAll(async () => {
    pg = await startDisposablePostgres();
    pool = new Pool({ connectionString: pg.url, max: 10, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => undefined); // idle clients die with the server; the pool replaces them
    await createTestTopics(brokers, [topic, `${topic}.dlq`], 3);
  });

  afterAll(async () => {
    await consumer?.stop().catch(() => undefined);
    await relay?.stop();
    await store?.close();
    await pool?.end().catch(() => undefined);
    await pg?.destroy();
    await deleteTestTopics(brokers, [topic, `${topic}.dlq`]).catch(() => undefined);
  });

  it('reports the outage, retries, recovers by itself, and loses or doubles nothing', async () => {
    store = await PostgresEventStore.create({ pool, catalogue: sampleCatalogue(), onTransientError: (error) => relay?.reportStoreError(error) });
    await createSampleReadModel(pool, 'db_outage_orders');
    consumer = await startKafkaConsumer({
      kafka: testKafka(brokers),
      name: `db-outage-${randomUUID()}`,
      pool,
      topics: [topic],
      catalogue: sampleCatalogue(),
      batchSize: 50,
      logger,
      handlers: {
        OrderPlaced: async (event, { tx }) => {
          await applySampleOrder(tx, 'db_outage_orders', event);
          await tx.query('select pg_sleep(0.003)'); // a backlog, so the outage lands while the consumer works
        },
      },
    });
    relay = new Relay({ store, pool, kafka: testKafkaConfig(brokers), name: 'db-outage', topicOf: () => topic, batchSize: 100, logger });
    await relay.start();

    const customers = Array.from({ length: CUSTOMERS }, () => randomUUID());
    const appendRound = (seq: number) =>
      Promise.all(customers.map((customerId) => store.append(streamId('order'), [{ type: 'OrderPlaced', data: { customerId, orderId: `${customerId}-${seq}`, seq, amount: 1 } }])));
    const rows = async () => Number((await pool.query<{ n: string }>('select count(*) as n from db_outage_orders')).rows[0].n);

    for (let seq = 0; seq < ROUNDS / 2; seq++) await appendRound(seq);
    await waitFor(async () => (await rows()) >= 50, () => 'nothing handled before the outage');
    expect(await rows()).toBeLessThan(CUSTOMERS * (ROUNDS / 2));

    await pg.stop('fast');
    await waitFor(() => consumer!.processor.healthStatus().status === 'down', () => JSON.stringify(consumer!.processor.healthStatus()));
    expect(logs).toContain('error consumer cannot reach PostgreSQL; retrying');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await pg.start();

    for (let seq = ROUNDS / 2; seq < ROUNDS; seq++) await appendRound(seq);
    await waitFor(async () => (await rows().catch(() => 0)) >= CUSTOMERS * ROUNDS, async () => `${await rows()} of ${CUSTOMERS * ROUNDS}; relay error ${String(relay?.error)}; ${JSON.stringify(relay?.health())}; logs ${logs.slice(-20).join(' | ')}`, 60_000);
    await waitFor(
      () => consumer!.processor.healthStatus().status === 'up' && relay!.health().every((h) => h.status === 'up'),
      () => JSON.stringify([consumer!.processor.healthStatus(), relay!.health()]),
    );
    expect(logs).toContain('info consumer reaches PostgreSQL again');
    expect(await rows()).toBe(CUSTOMERS * ROUNDS);
    expect(await customersOutOfOrder(pool, 'db_outage_orders', ROUNDS)).toEqual([]);
  });
});
