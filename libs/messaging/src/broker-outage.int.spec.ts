import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ISocketFactory } from 'kafkajs';
import type { Pool } from 'pg';
import { streamId, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { findFreePorts, startKafka, type KafkaBroker } from '@clientela/kafka-runner';
import { createTestTopics, kafkaTestLogEntries, testKafka, testKafkaConfig, uniqueTopicName } from '@clientela/testing';
import { startKafkaConsumer, type RunningKafkaConsumer } from './consumer/create-consumers';
import { kafkaSocketFactory } from './kafka-socket-factory';
import type { LogSink } from '@clientela/platform';
import { useTestWorld } from '@clientela/testing';
import { Relay } from './relay/relay';
import { applySampleOrder, createSampleReadModel, customersOutOfOrder, sampleCatalogue } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

const CUSTOMERS = 50;
const ROUNDS = 40;

describe('a broker outage while the relay publishes', () => {
  // A broker of its own (it is stopped and started); the database and store from the world.
  const world = useTestWorld({ name: 'messaging_broker_outage', store: (pool) => PostgresEventStore.create({ pool, catalogue: sampleCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;
  let broker: KafkaBroker | undefined;
  let relay: Relay | undefined;
  let consumer: RunningKafkaConsumer<RecordedEvent> | undefined;
  const dataRoot = mkdtempSync(join(tmpdir(), 'clientela-outage-kafka-'));

  beforeAll(async () => {
    ({ pool, store } = world);
    await createSampleReadModel(pool, 'outage_orders');
  });

  // Before the world closes the store and drops the database.
  world.onCleanup(async () => {
    await consumer?.stop().catch(() => undefined);
    await relay?.stop();
    await broker?.stop();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  it('pauses, then delivers every event in order per key once the broker is back', async () => {
    const [port, controllerPort] = await findFreePorts(2);
    const dataDir = join(dataRoot, 'data');
    broker = await startKafka({ port, controllerPort, dataDir });
    const brokers = broker.brokers;
    const topic = uniqueTopicName('outage');
    await createTestTopics(brokers, [topic, `${topic}.dlq`], 3);
    const kafkaConfig = () => testKafkaConfig(brokers, { retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 } });
    const kafkaClient = () => testKafka(brokers, kafkaConfig());
    consumer = await startKafkaConsumer({
      kafka: kafkaClient(),
      name: `outage-${randomUUID()}`,
      pool,
      topics: [topic],
      catalogue: sampleCatalogue(),
      consumerConfig: { sessionTimeout: 6_000, heartbeatInterval: 500 },
      handlers: { OrderPlaced: (event, { tx }) => applySampleOrder(tx, 'outage_orders', event) },
    });
    relay = new Relay({ store, pool, kafka: kafkaConfig(), name: 'outage', topicOf: () => topic, batchSize: 50 });
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

  /** Every socket the factory opened, kept so that their listeners can be counted. */
  const recordSockets = (factory: ISocketFactory) => {
    const sockets: Socket[] = [];
    const recording: ISocketFactory = (args) => {
      const socket = factory(args);
      sockets.push(socket as Socket);
      return socket;
    };
    return { factory: recording, sockets, mostConnectListeners: () => Math.max(0, ...sockets.map((socket) => socket.listenerCount('connect'))) };
  };

  it('leaves no growing count of connect listeners on its sockets after six broker restarts under a running relay and consumer', async () => {
    const [port, controllerPort] = await findFreePorts(2);
    const dataDir = join(dataRoot, 'restarts');
    let restarting = await startKafka({ port, controllerPort, dataDir });
    const recorded = recordSockets(kafkaSocketFactory());
    const retry = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 };
    const kafkaClient = () => testKafka(restarting.brokers, { retry, socketFactory: recorded.factory });
    const topic = uniqueTopicName('restarts');
    await createTestTopics(restarting.brokers, [topic, `${topic}.dlq`], 3);
    await createSampleReadModel(pool, 'restart_orders');
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning);
    };
    process.on('warning', onWarning);
    // What the relay and consumer said, shown when a wait times out: an outage test that fails must say why.
    const said: string[] = [];
    const recordingLogger = (who: string): LogSink => {
      const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
        said.push(`${new Date().toISOString()} ${who} ${level} ${message} ${fields ? JSON.stringify(fields) : ''}`);
      };
      return { debug: () => undefined, info: record('info'), warn: record('warn'), error: record('error') };
    };
    const restartConsumer = await startKafkaConsumer({
      kafka: kafkaClient(),
      name: `restarts-${randomUUID()}`,
      pool,
      topics: [topic],
      catalogue: sampleCatalogue(),
      consumerConfig: { sessionTimeout: 6_000, heartbeatInterval: 500 },
      handlers: { OrderPlaced: (event, { tx }) => applySampleOrder(tx, 'restart_orders', event) },
      logger: recordingLogger('consumer'),
    });
    // The relay's client is in its producer thread, built with kafkaSocketFactory too: its sockets are
    // not recorded here (the consumer's are), and a warning there is the thread's, not this process's.
    const restartRelay = new Relay({
      store,
      pool,
      kafka: testKafkaConfig(restarting.brokers, { retry }),
      name: 'restarts',
      topicOf: () => topic,
      batchSize: 50,
      logger: recordingLogger('relay'),
    });
    await restartRelay.start();
    const customerId = randomUUID();
    let appended = 0;
    const appendOrder = () =>
      store.append(streamId('order'), [{ type: 'OrderPlaced', data: { customerId, orderId: `${customerId}-${appended}`, seq: appended++, amount: 1 } }]);
    // The relay publishes the whole store, the other test's orders too: count this customer's.
    const handled = async () =>
      Number((await pool.query<{ n: string }>('select count(*) as n from restart_orders where customer_id = $1', [customerId])).rows[0].n);
    /** After each restart, the most 'connect' listeners on any socket opened so far. */
    const mostListeners: number[] = [];
    try {
      // Both connected and the group joined before the first stop.
      await appendOrder();
      await waitFor(async () => (await handled()) === appended, async () => `${await handled()} of ${appended} handled before the restarts`);
      // Six: a listener added per restart shows from the second (the check below allows none after the first).
      for (let restart = 0; restart < 6; restart++) {
        const opened = recorded.sockets.length;
        await restarting.stop();
        await appendOrder();
        // kafkajs has tried the broker while it was away, and failed.
        await waitFor(() => recorded.sockets.slice(opened).some((socket) => socket.destroyed), () => `no attempt to reconnect after stop ${restart}`);
        restarting = await startKafka({ port, controllerPort, dataDir });
        await waitFor(
          async () => (await handled()) === appended,
          async () => `${await handled()} of ${appended} handled after restart ${restart}; relay at ${restartRelay.checkpoint}; said:\n${said.slice(-30).join('\n')}\nkafkajs:\n${kafkaTestLogEntries.slice(-15).map((entry) => `${entry.namespace} ${entry.log.message}`).join('\n')}`,
          120_000,
        );
        mostListeners.push(recorded.mostConnectListeners());
      }
    } finally {
      process.off('warning', onWarning);
      await restartConsumer.stop().catch(() => undefined);
      await restartRelay.stop().catch(() => undefined);
      await restarting.stop();
    }
    expect(warnings).toEqual([]);
    // A socket that never connected keeps kafkajs's 'connect' callback, and Node's deferred end() when
    // kafkajs ended it while connecting; a full run once showed a third on every restart alike (3, 3,
    // 3, 3, 3, 3). A leak adds one per restart: nothing may pile up beyond what the first restart left.
    expect(mostListeners[0]).toBeLessThanOrEqual(3);
    expect(mostListeners.filter((count) => count > mostListeners[0])).toEqual([]);
  }, 600_000);
});
