import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { streamId, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { findFreePorts, startKafka, type KafkaBroker } from '@clientela/kafka-runner';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { createTestTopics, testKafka, uniqueTopicName } from '../../testing/src/kafka';
import { startKafkaConsumer, type RunningKafkaConsumer } from './consumer/create-consumers';
import { Relay } from './relay/relay';
import { applySampleOrder, createSampleReadModel, customersOutOfOrder, sampleCatalogue } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

const CUSTOMERS = 50;
const ROUNDS = 40;

describe('a broker outage while the relay publishes', () => {
  let db: TestDatabase;
  let pool: Pool;
  let store: PostgresEventStore;
  let broker: KafkaBroker | undefined;
  let relay: Relay | undefined;
  let consumer: RunningKafkaConsumer<RecordedEvent> | undefined;
  const dataRoot = mkdtempSync(join(tmpdir(), 'clientela-outage-kafka-'));

  beforeAll(async () => {
    db = await createTestDatabase('messaging_broker_outage');
    pool = db.pool();
    store = await PostgresEventStore.create({ pool, catalogue: sampleCatalogue() });
    await createSampleReadModel(pool, 'outage_orders');
  });

  afterAll(async () => {
    await consumer?.stop().catch(() => undefined);
    await relay?.stop();
    await broker?.stop();
    await store?.close();
    await db?.drop();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  it('pauses, then delivers every event in order per key once the broker is back', async () => {
    const [port, controllerPort] = await findFreePorts(2);
    const dataDir = join(dataRoot, 'data');
    broker = await startKafka({ port, controllerPort, dataDir });
    const brokers = broker.brokers;
    const topic = uniqueTopicName('outage');
    await createTestTopics(brokers, [topic, `${topic}.dlq`], 3);
    const kafkaClient = () => testKafka(brokers, { retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 } });
    consumer = await startKafkaConsumer({
      kafka: kafkaClient(),
      name: `outage-${randomUUID()}`,
      pool,
      topics: [topic],
      catalogue: sampleCatalogue(),
      consumerConfig: { sessionTimeout: 6_000, heartbeatInterval: 500 },
      handlers: { OrderPlaced: (event, { tx }) => applySampleOrder(tx, 'outage_orders', event) },
    });
    relay = new Relay({ store, pool, kafka: kafkaClient(), name: 'outage', topicOf: () => topic, batchSize: 50 });
    await relay.start();

    const customers = Array.from({ length: CUSTOMERS }, () => randomUUID());
    const appendRound = (seq: number) =>
      Promise.all(customers.map((customerId) => store.append(streamId('order'), [{ type: 'OrderPlaced', data: { customerId, orderId: `${customerId}-${seq}`, seq, amount: 1 } }])));
    const rows = async () => Number((await pool.query<{ n: string }>('select count(*) as n from outage_orders')).rows[0].n);

    for (let seq = 0; seq < ROUNDS / 2; seq++) await appendRound(seq);
    await waitFor(async () => (await rows()) > 0, () => 'nothing arrived before the outage');
    await broker.stop();
    // The relay keeps reading the store while the broker is away; it says so.
    for (let seq = ROUNDS / 2; seq < ROUNDS; seq++) await appendRound(seq);
    await waitFor(() => relay!.health().some((h) => h.status === 'down' && /kafka/.test(h.name)), () => JSON.stringify(relay!.health()));
    const duringOutage = await rows();
    expect(duringOutage).toBeLessThan(CUSTOMERS * ROUNDS);

    broker = await startKafka({ port, controllerPort, dataDir });
    await waitFor(async () => (await rows()) >= CUSTOMERS * ROUNDS, async () => `${await rows()} of ${CUSTOMERS * ROUNDS} after the restart`, 120_000);
    await waitFor(() => relay!.health().every((h) => h.status === 'up'), () => JSON.stringify(relay!.health()));
    expect(await rows()).toBe(CUSTOMERS * ROUNDS);
    expect(await customersOutOfOrder(pool, 'outage_orders', ROUNDS)).toEqual([]);
  });
});
