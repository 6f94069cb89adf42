import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { streamId, toEnvelopeJson, type RecordedEvent } from '@clientela/contracts';
import { eventHeaders } from '@clientela/messaging';
import { withTransaction } from '@clientela/postgres';
import { epochMs, Latencies } from '../measure';
import { createTopic, deleteTopic, startGroup } from './kafka-parts';
import type { BenchContext } from '../registry';

/** An OrderPlaced shaped as our store records it: the event of the raw kafkajs limit's and the bare pipeline's messages. */
export const orderEvent = (stream: string, customerId: string, seq: number, sentAt: number, position: bigint): RecordedEvent => ({
  id: randomUUID(),
  type: 'OrderPlaced',
  streamId: stream,
  revision: seq,
  position,
  data: { customerId, orderId: `${customerId}-${seq}`, seq, amount: 10 },
  metadata: { schemaVersion: 1, sentAt } as RecordedEvent['metadata'],
  recordedAt: new Date(),
});

/** The bench's Kafka message of an event: the envelope's JSON as value and the relay's headers. */
export const orderMessage = (event: RecordedEvent) => ({
  key: (event.data as { customerId: string }).customerId,
  value: JSON.stringify(toEnvelopeJson(event)),
  headers: eventHeaders(event),
});

export interface BarePipeline {
  /** Inserts `events` orders of one customer in one statement, then sends them (acks=-1); resolves when the broker acknowledged. */
  tick(events: number): Promise<void>;
  /** Starts counting: events sent from `countFrom` (ms since the epoch) on. */
  begin(countFrom: number): void;
  /** Stops counting; the latencies from just before the insert to the read model's commit. */
  end(): Latencies;
  handled(): number;
  stop(): Promise<void>;
}

/**
 * The latency limit: what PostgreSQL and Kafka themselves take to carry an event from a committed
 * insert to a committed read-model row, with nothing of ours. Each tick inserts its events into a plain
 * table in one statement, then kafkajs sends them (acks=-1, idempotent, from this thread), and a
 * consumer group (3 partitions consumed concurrently, as ours) parses each message's JSON and writes
 * each batch to the read model in one transaction. No store, relay, checkpoint, catalogue or dedupe:
 * the least any pipeline from a commit to a read model through Kafka does, in this process as ours is.
 */
export const startBarePipeline = async (ctx: BenchContext, kafka: Kafka): Promise<BarePipeline> => {
  const database = await ctx.createDatabase('clientela_bench_kafka_bare');
  const pool = new Pool({ connectionString: database.url, max: 20 });
  await pool.query(`create table events (position bigserial primary key, stream_id text not null, type text not null, data jsonb not null, metadata jsonb not null,
                                         recorded_at timestamptz not null default now())`);
  await pool.query('create table orders (order_id text primary key, customer_id text not null, amount numeric not null)');
  const topic = `bench-bare-${randomUUID()}`;
  await createTopic(kafka, topic);
  let latencies: Latencies | undefined;
  let countFrom = Infinity;
  let handled = 0;
  const consumer = await startGroup(kafka, topic, 100, async ({ batch }) => {
    const events = batch.messages.map((message) => JSON.parse(message.value?.toString() ?? 'null') as ReturnType<typeof toEnvelopeJson>);
    const orders = events.map((event) => event.data as { orderId: string; customerId: string; amount: number });
    await withTransaction(pool, (client) =>
      client.query('insert into orders (order_id, customer_id, amount) select * from unnest($1::text[], $2::text[], $3::numeric[])', [
        orders.map((order) => order.orderId),
        orders.map((order) => order.customerId),
        orders.map((order) => order.amount),
      ]),
    );
    handled += events.length;
    const at = epochMs();
    for (const event of events) {
      const sentAt = (event.metadata as { sentAt?: unknown }).sentAt;
      if (latencies && typeof sentAt === 'number' && sentAt >= countFrom) latencies.add(at - sentAt);
    }
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async tick(events) {
      const customerId = randomUUID();
      const sentAt = epochMs();
      const seqs = Array.from({ length: events }, (_, seq) => seq);
      const stream = streamId('order');
      const payloads = seqs.map((seq) => orderEvent(stream, customerId, seq, sentAt, 0n));
      const { rows } = await pool.query<{ position: string }>(
        'insert into events (stream_id, type, data, metadata) select * from unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[]) returning position',
        [payloads.map((e) => e.streamId), payloads.map((e) => e.type), payloads.map((e) => JSON.stringify(e.data)), payloads.map((e) => JSON.stringify(e.metadata))],
      );
      const messages = payloads.map((event, i) => orderMessage({ ...event, position: BigInt(rows[i]?.position ?? 0) }));
      await producer.send({ topic, acks: -1, messages });
    },
    begin(from) {
      latencies = new Latencies();
      countFrom = from;
    },
    end() {
      const ended = latencies ?? new Latencies();
      latencies = undefined;
      countFrom = Infinity;
      return ended;
    },
    handled: () => handled,
    async stop() {
      await producer.disconnect();
      await consumer.disconnect();
      await pool.end();
      await deleteTopic(kafka, topic);
      await database.drop();
    },
  };
};
