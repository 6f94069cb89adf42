import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Kafka, KafkaJSNonRetriableError, type Producer } from 'kafkajs';
import { streamId, toEnvelopeJson, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { useTestWorld } from '@clientela/testing';
import { startKafkaConsumer, type RunningKafkaConsumer } from './consumer/create-consumers';
import { KafkaDeadLetters } from './dead-letters/kafka-dead-letters';
import { EventHeaders, eventHeaders } from './headers';
import { Relay } from './relay/relay';
import { applySampleOrder, createSampleReadModel, customersOutOfOrder, sampleCatalogue, countRows, sampleOrderEvent } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

describe('relay and Kafka consumers', () => {
  const world = useTestWorld({ name: 'messaging_kafka', pool: { max: 20 }, store: (pool) => PostgresEventStore.create({ pool, catalogue: sampleCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(() => {
    ({ pool, store } = world);
  });

  it('brings 10,000 events over 1,000 keys to a group of 3 in per-key order, each once', async () => {
    const topic = await world.topic('sales', 6);
    await createSampleReadModel(pool, 'order_arrivals');
    const group = `order-test-${randomUUID()}`;
    const seenHeaders: Array<{ key?: string; headers: Record<string, string>; event: RecordedEvent }> = [];
    const members: RunningKafkaConsumer<RecordedEvent>[] = [];
    for (let i = 0; i < 3; i++) {
      const member = await startKafkaConsumer({
        kafka: world.kafka({ clientId: `member-${i}` }),
        name: group,
        pool,
        topics: [topic],
        catalogue: sampleCatalogue(),
        handlers: {
          OrderPlaced: async (event, { tx, message }) => {
            if (seenHeaders.length < 5) seenHeaders.push({ key: message.key, headers: message.headers, event });
            await applySampleOrder(tx, 'order_arrivals', event);
          },
        },
      });
      members.push(member);
      world.onCleanup(() => member.stop());
    }
    // Start publishing once the group is stable, so the test is about order, not rebalancing.
    await waitFor(
      () => members.every((m) => m.consumer.assignment().some((a) => a.partitions.length > 0)) &&
        members.reduce((sum, m) => sum + m.consumer.assignment().reduce((s, a) => s + a.partitions.length, 0), 0) === 6,
      () => JSON.stringify(members.map((m) => m.consumer.assignment())),
    );

    const customers = Array.from({ length: 1_000 }, () => randomUUID());
    for (let seq = 0; seq < 10; seq++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, worker) => {
          for (let i = worker; i < customers.length; i += 20) {
            await store.append(streamId('order'), [
              { type: 'OrderPlaced', data: { customerId: customers[i], orderId: `${customers[i]}-${seq}`, seq, amount: seq + 1 } },
            ]);
          }
        }),
      );
    }
    const relay = new Relay({ store, pool, kafka: world.kafkaConfig(), name: `order-${randomUUID()}`, topicOf: () => topic, batchSize: 500 });
    await relay.start();
    world.onCleanup(() => relay.stop());

    await waitFor(async () => (await countRows(pool, 'order_arrivals')) >= 10_000, async () => `${await countRows(pool, 'order_arrivals')} of 10000 arrived`, 90_000);
    await waitFor(async () => relay.checkpoint === (await store.headPosition()), () => 'relay checkpoint did not reach the head');
    expect(await countRows(pool, 'order_arrivals')).toBe(10_000);
    expect(await customersOutOfOrder(pool, 'order_arrivals', 10)).toEqual([]);
    expect(Number((await pool.query<{ n: string }>('select count(distinct customer_id) as n from order_arrivals')).rows[0].n)).toBe(1_000);

    const sample = seenHeaders[0];
    expect(sample.key).toBe((sample.event.data as { customerId: string }).customerId);
    expect(sample.headers).toEqual(expect.objectContaining(eventHeaders(sample.event)));
    expect(sample.headers[EventHeaders.type]).toBe('OrderPlaced');
  });

  it('starts a new consumer when kafkajs crashes on an error it will not restart on, and handles every event once', async () => {
    const topic = await world.topic('crash', 2);
    await createSampleReadModel(pool, 'crash_orders');
    // The first consumer kafkajs makes fails its first batch with a non-retriable error, as
    // "Failed to find group coordinator" does while a broker restarts: kafkajs stops it for good.
    const kafka: Kafka = world.kafka();
    const makeConsumer = kafka.consumer.bind(kafka);
    let made = 0;
    kafka.consumer = (config) => {
      const consumer = makeConsumer(config);
      if (made++ === 0) {
        const run = consumer.run.bind(consumer);
        consumer.run = (options) =>
          run({
            ...options,
            eachBatch: async () => {
              throw new KafkaJSNonRetriableError('injected: no group coordinator');
            },
          });
      }
      return consumer;
    };
    const said: string[] = [];
    const member = await startKafkaConsumer({
      kafka,
      name: `crash-${randomUUID()}`,
      pool,
      topics: [topic],
      catalogue: sampleCatalogue(),
      handlers: { OrderPlaced: (event, { tx }) => applySampleOrder(tx, 'crash_orders', event) },
      logger: { debug: () => undefined, info: (message) => said.push(message), warn: (message) => said.push(message), error: (message) => said.push(message) },
    });
    world.onCleanup(() => member.stop());
    const customerId = randomUUID();
    const producer: Producer = kafka.producer();
    await producer.connect();
    const events: RecordedEvent[] = Array.from({ length: 5 }, (_, seq) => ({
      id: randomUUID(),
      type: 'OrderPlaced',
      streamId: streamId('order'),
      revision: 0,
      position: BigInt(seq + 1),
      data: { customerId, orderId: `${customerId}-${seq}`, seq, amount: 1 },
      metadata: { schemaVersion: 1 },
      recordedAt: new Date(),
    }));
    await producer.send({ topic, messages: events.map((event) => ({ key: customerId, value: JSON.stringify(toEnvelopeJson(event)), headers: eventHeaders(event) })) });
    await producer.disconnect();

    await waitFor(async () => (await countRows(pool, 'crash_orders')) === 5, async () => `${await countRows(pool, 'crash_orders')} of 5; said: ${said.join(' | ')}`, 30_000);
    expect(made).toBeGreaterThanOrEqual(2);
    expect(said).toContain('Kafka consumer crashed and kafkajs gave up; starting a new one');
    expect(said).toContain('Kafka consumer started again');
    expect(await customersOutOfOrder(pool, 'crash_orders', 5)).toEqual([]);
  });

  it('dead-letters malformed, invalid, unknown-version and always-failing events with the reason, handles the rest, and re-drives', async () => {
    const topic = await world.topic('poison', 2);
    await createSampleReadModel(pool, 'poison_orders');
    const kafka: Kafka = world.kafka();
    let fixed = false;
    const consumerName = `poison-${randomUUID()}`;
    const member = await startKafkaConsumer({
      kafka,
      name: consumerName,
      pool,
      topics: [topic],
      catalogue: sampleCatalogue(),
      retry: { maxAttempts: 3, backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 } },
      handlers: {
        OrderPlaced: async (event, { tx }) => {
          if ((event.data as { orderId: string }).orderId === 'explode' && !fixed) throw new Error('the warehouse said no');
          await applySampleOrder(tx, 'poison_orders', event);
        },
      },
    });
    world.onCleanup(() => member.stop());

    const asMessage = (event: RecordedEvent) => ({ key: String(event.data.customerId), value: JSON.stringify(toEnvelopeJson(event)), headers: eventHeaders(event) });
    const valid = Array.from({ length: 20 }, (_, seq) => sampleOrderEvent(seq));
    const invalid = sampleOrderEvent(100, { amount: 'lots' });
    const tooNew = sampleOrderEvent(101, {}, 7);
    const exploding = sampleOrderEvent(102, { orderId: 'explode' });
    const producer: Producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        ...valid.slice(0, 10).map(asMessage),
        { key: 'c-0', value: '{"this is": not json', headers: { 'x-trace': 'abc' } },
        asMessage(invalid),
        asMessage(tooNew),
        asMessage(exploding),
        ...valid.slice(10).map(asMessage),
      ],
    });
    await producer.disconnect();

    const letters = new KafkaDeadLetters(kafka);
    await waitFor(async () => (await countRows(pool, 'poison_orders')) === 20, async () => `${await countRows(pool, 'poison_orders')} handled`);
    await waitFor(async () => (await letters.list(topic)).length === 4, async () => JSON.stringify(await letters.list(topic)));
    const listed = await letters.list(topic);
    const byCode = new Map(listed.map((letter) => [letter.code, letter]));
    expect([...byCode.keys()].sort()).toEqual(['handler_failed', 'invalid_event_payload', 'malformed_message', 'unknown_schema_version']);
    for (const letter of listed) {
      expect(letter.consumer).toBe(consumerName);
      expect(letter.origin).toEqual(expect.objectContaining({ kind: 'kafka', topic }));
    }
    expect(byCode.get('malformed_message')?.reason).toMatch(/not JSON/);
    expect(byCode.get('malformed_message')?.value).toBe('{"this is": not json');
    expect(byCode.get('malformed_message')?.headers['x-trace']).toBe('abc');
    expect(byCode.get('invalid_event_payload')?.reason).toMatch(/amount/);
    expect(byCode.get('invalid_event_payload')?.eventKey).toBe(invalid.id);
    expect(byCode.get('unknown_schema_version')?.reason).toMatch(/schema version 7/);
    expect(byCode.get('handler_failed')?.reason).toBe('the warehouse said no');
    expect(byCode.get('handler_failed')?.attempts).toBe(3);
    expect(byCode.get('handler_failed')?.headers[EventHeaders.id]).toBe(exploding.id);

    fixed = true;
    expect(await letters.redrive(topic, { ids: [byCode.get('handler_failed')!.id] })).toBe(1);
    await waitFor(async () => (await countRows(pool, 'poison_orders')) === 21, async () => `${await countRows(pool, 'poison_orders')} handled after re-drive`);
    const { rows } = await pool.query<{ order_id: string }>(`select order_id from poison_orders where order_id = 'explode'`);
    expect(rows).toHaveLength(1);
  });
});
