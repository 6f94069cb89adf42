import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { logLevel, Kafka } from 'kafkajs';
import { streamId, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { startKafka } from '@clientela/kafka-runner';
import { Relay, startKafkaConsumer } from '@clientela/messaging';
import { sampleCatalogue } from '../../../../libs/messaging/src/testing/sample-events';
import { Latencies, measure, perSecond, ratio, round, runConcurrently } from '../measure';
import type { BenchContext } from '../registry';
import { registerBench } from '../registry';

const PARTITIONS = 3;
const BATCH = 500;

const now = (): number => performance.timeOrigin + performance.now();

const waitUntil = async (check: () => boolean, timeoutMs: number, what: () => string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`kafka bench: timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const createTopic = async (kafka: Kafka, topic: string): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }, { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
};

const deleteTopics = async (kafka: Kafka, topics: string[]): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
};

/** A message shaped like the relay's: an event envelope of the same size, with the same headers. */
const sampleMessage = (i: number) => {
  const customerId = randomUUID();
  const value = JSON.stringify({
    id: randomUUID(),
    type: 'OrderPlaced',
    streamId: streamId('order'),
    revision: i % 50,
    position: String(BigInt(i) << 64n),
    data: { customerId, orderId: `${customerId}-${i}`, seq: i % 50, amount: 10 },
    metadata: { schemaVersion: 1 },
    recordedAt: new Date().toISOString(),
  });
  return { key: customerId, value, headers: { 'clientela-id': randomUUID(), 'clientela-type': 'OrderPlaced', 'clientela-schema-version': '1' } };
};

/** The limit: kafkajs producing batches (acks=-1) and one consumer group counting them, on the same broker. */
const rawProduceConsume = async (kafka: Kafka, events: number): Promise<number> => {
  const topic = `bench-raw-${randomUUID()}`;
  await createTopic(kafka, topic);
  let consumed = 0;
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.run({ partitionsConsumedConcurrently: PARTITIONS, eachBatch: async ({ batch }) => void (consumed += batch.messages.length) });
  await waitUntil(() => joined, 60_000, () => 'the raw consumer to join');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const batches = Array.from({ length: Math.ceil(events / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, events - b * BATCH) }, (_, i) => sampleMessage(b * BATCH + i)),
  );
  const started = now();
  await runConcurrently(1, batches, async (messages) => void (await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] })));
  await waitUntil(() => consumed >= events, 120_000, () => `raw consumption (${consumed} of ${events})`);
  const ms = now() - started;
  await producer.disconnect();
  await consumer.disconnect();
  await deleteTopics(kafka, [topic, `${topic}.dlq`]);
  return ms;
};

interface Pipeline {
  store: PostgresEventStore;
  handled: () => number;
  /** Where latencies of events handled from now on go (none until set). */
  measureInto(latencies: Latencies | undefined): void;
  stop(): Promise<void>;
}

/** Event store -> relay -> Kafka -> consumer group -> read model, in a fresh database. */
const startPipeline = async (ctx: BenchContext, kafka: Kafka): Promise<Pipeline> => {
  const database = await ctx.createDatabase('clientela_bench_kafka');
  const pool = new Pool({ connectionString: database.url, max: 20 });
  const store = await PostgresEventStore.create({ pool, catalogue: sampleCatalogue() });
  await pool.query('create table orders (order_id text primary key, customer_id text not null, amount numeric not null)');
  const topic = `bench-ours-${randomUUID()}`;
  await createTopic(kafka, topic);
  let handled = 0;
  let latencies: Latencies | undefined;
  const consumer = await startKafkaConsumer<RecordedEvent>({
    kafka,
    name: `bench-${randomUUID()}`,
    pool,
    topics: [topic],
    catalogue: sampleCatalogue(),
    batchSize: BATCH,
    partitionsConsumedConcurrently: PARTITIONS,
    // One multi-row insert per batch: the read model write is one statement, not one per event.
    batchTypes: ['OrderPlaced'],
    batchHandler: async (items, { tx }) => {
      const orders = items.map(({ payload }) => payload.data as { orderId: string; customerId: string; amount: number });
      await tx.query('insert into orders (order_id, customer_id, amount) select * from unnest($1::text[], $2::text[], $3::numeric[])', [
        orders.map((order) => order.orderId),
        orders.map((order) => order.customerId),
        orders.map((order) => order.amount),
      ]);
    },
    afterCommit: (events) => {
      handled += events.length;
      const at = now();
      if (latencies) for (const event of events) {
        const sentAt = event.metadata.sentAt;
        if (typeof sentAt === 'number') latencies.add(at - sentAt);
      }
    },
  });
  await waitUntil(() => consumer.consumer.assignment().length > 0, 60_000, () => 'the consumer to join');
  const relay = new Relay({ store, pool, kafka, name: 'bench', topicOf: () => topic, batchSize: BATCH });
  await relay.start();
  return {
    store,
    handled: () => handled,
    measureInto: (target) => (latencies = target),
    async stop() {
      await relay.stop();
      await consumer.stop();
      await store.close();
      await pool.end();
      await deleteTopics(kafka, [topic, `${topic}.dlq`]);
      await database.drop();
    },
  };
};

const appendOrders = (store: PostgresEventStore, count: number, perAppend: number) => {
  const customerId = randomUUID();
  return store.append(
    streamId('order'),
    Array.from({ length: Math.min(perAppend, count) }, (_, seq) => ({
      type: 'OrderPlaced',
      data: { customerId, orderId: `${customerId}-${seq}`, seq, amount: 10 },
      metadata: { sentAt: now() },
    })),
  );
};

const runKafkaBench = async (ctx: BenchContext): Promise<void> => {
  const quick = ctx.options.quick;
  const events = ctx.options.events ?? (quick ? 2_000 : 50_000);
  const perAppend = ctx.options.batchSize ?? 50;
  const steadySeconds = quick ? 2 : 10;
  const at = new Date().toISOString();
  let brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  if (!brokers?.length) {
    ctx.log('starting a Kafka broker (tools/kafka)');
    const broker = await startKafka();
    ctx.onCleanup(() => broker.stop());
    brokers = broker.brokers;
  }
  const kafka = new Kafka({ clientId: 'clientela-bench', brokers, logLevel: logLevel.NOTHING });
  const probe = new Pool({ connectionString: ctx.options.serverUrl, max: 1 });
  const { rows } = await probe.query<{ synchronous_commit: string }>('show synchronous_commit');
  await probe.end();
  const synchronousCommit = rows[0]?.synchronous_commit ?? 'unknown';

  ctx.log(`raw kafkajs produce and consume: ${events} messages`);
  const rawMs = (await measure(() => rawProduceConsume(kafka, events), 'kafka.throughput.limit')).result;

  ctx.log(`append -> relay -> Kafka -> consumer -> read model: ${events} events`);
  const pipeline = await startPipeline(ctx, kafka);
  ctx.onCleanup(() => pipeline.stop());
  const appends = Array.from({ length: Math.ceil(events / perAppend) }, (_, i) => Math.min(perAppend, events - i * perAppend));
  const { ms: oursMs } = await measure(async () => {
    await runConcurrently(8, appends, async (count) => void (await appendOrders(pipeline.store, count, perAppend)));
    await waitUntil(() => pipeline.handled() >= events, 300_000, () => `the read model (${pipeline.handled()} of ${events})`);
  }, 'kafka.throughput');
  const ours = perSecond(events, oursMs);
  const limit = perSecond(events, rawMs);
  ctx.emit({
    bench: 'kafka.throughput',
    at,
    ours_per_s: ours,
    limit_per_s: limit,
    ratio: ratio(ours, limit),
    events,
    partitions: PARTITIONS,
    events_per_append: perAppend,
    batch: BATCH,
    synchronous_commit: synchronousCommit,
    ours: 'PostgresEventStore.append (8 writers) -> Relay (page = produce batch, acks=-1, idempotent) -> consumer group (one transaction per batch: one multi-row read-model insert + handled ids) -> committed',
    limit: 'kafkajs alone: sendBatch of 500 (acks=-1, idempotent) and one consumer group counting, same broker, same message size',
  });

  // Steady load: 10 events every 10 ms, one append each, for the latency from append to committed read model.
  const before = pipeline.handled();
  const steadyLatencies = new Latencies();
  pipeline.measureInto(steadyLatencies);
  const ticks = steadySeconds * 100;
  const steadyStart = now();
  const pending: Promise<unknown>[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    const due = steadyStart + tick * 10;
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(appendOrders(pipeline.store, 10, 10));
  }
  await Promise.all(pending);
  const offered = ticks * 10;
  await waitUntil(() => pipeline.handled() >= before + offered, 120_000, () => 'the steady events');
  const achieved = perSecond(offered, now() - steadyStart);
  pipeline.measureInto(undefined);
  ctx.emit({
    bench: 'kafka.latency',
    at,
    rate_per_s: round(offered / steadySeconds, 0),
    achieved_per_s: achieved,
    p50_ms: steadyLatencies.quantile(0.5),
    p99_ms: steadyLatencies.quantile(0.99),
    events: offered,
    synchronous_commit: synchronousCommit,
    measured: 'from just before append to just after the consumer transaction that wrote the read model committed',
  });
};

registerBench({
  name: 'kafka',
  description:
    'events/s from append through relay and consumer group to read model, beside raw kafkajs produce-and-consume on the same broker; p50/p99 latency at a steady 1,000 events/s',
  run: runKafkaBench,
});
