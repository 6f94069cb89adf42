import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Kafka, Producer } from 'kafkajs';
import { toEnvelopeJson, type RecordedEvent } from '@clientela/contracts';
import { useTestWorld } from '@clientela/testing';
import { startKafkaConsumer, type RunningKafkaConsumer } from './consumer/create-consumers';
import { MessageProcessor, type BatchItems } from './consumer/message-processor';
import { KafkaDeadLetters } from './dead-letters/kafka-dead-letters';
import { eventHeaders } from './headers';
import { envelopeDecoder, type IncomingMessage } from './message';
import { migrateMessaging } from './schema';
import { createSampleReadModel, sampleCatalogue, type SampleOrderData, countRows, sampleOrderEvent } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

/** The batch style: one multi-row insert for the whole batch. */
const insertOrders = async (tx: PoolClient, table: string, items: BatchItems<RecordedEvent>): Promise<void> => {
  const orders = items.map(({ payload }) => payload.data as unknown as SampleOrderData);
  await tx.query(
    `insert into ${table} (customer_id, seq, order_id, amount) select * from unnest($1::text[], $2::int[], $3::text[], $4::numeric[])`,
    [orders.map((o) => o.customerId), orders.map((o) => o.seq), orders.map((o) => o.orderId), orders.map((o) => o.amount)],
  );
};

const asMessage = (event: RecordedEvent) => ({ key: String(event.data.customerId), value: JSON.stringify(toEnvelopeJson(event)), headers: eventHeaders(event) });

describe('batch handler', () => {
  const world = useTestWorld({ name: 'messaging_batch' });
  let pool: Pool;

  beforeAll(async () => {
    ({ pool } = world);
    await migrateMessaging(pool);
  });

  const send = async (kafka: Kafka, topic: string, messages: Array<{ key: string; value: string; headers?: Record<string, string> }>) => {
    const producer: Producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  };

  it('refuses per-type handlers and a batch handler on one consumer', () => {
    const common = { consumer: 'both', pool, decoder: envelopeDecoder(sampleCatalogue()), deadLetters: { write: async () => undefined } };
    expect(() => new MessageProcessor({ ...common, handlersFor: () => [], batchHandler: async () => undefined })).toThrow(
      /either per-type handlers or a batch handler, not both/,
    );
    expect(() => new MessageProcessor(common)).toThrow(/no handlers and no batch handler/);
  });

  it('applies a batch in one call, and a re-run batch has no second effect', async () => {
    await createSampleReadModel(pool, 'rerun_orders');
    const calls: number[] = [];
    const processor = new MessageProcessor<RecordedEvent>({
      consumer: `rerun-${randomUUID()}`,
      pool,
      decoder: envelopeDecoder(sampleCatalogue()),
      deadLetters: { write: async () => undefined },
      batchHandler: async (items, { tx }) => {
        calls.push(items.length);
        await insertOrders(tx, 'rerun_orders', items);
      },
    });
    const messages: IncomingMessage[] = Array.from({ length: 25 }, (_, seq) => {
      const { key, value, headers } = asMessage(sampleOrderEvent(seq));
      return { origin: { kind: 'kafka', topic: 't', partition: 0, offset: String(seq) }, key, value, headers };
    });
    expect(await processor.process(messages)).toEqual(messages.map(() => 'handled'));
    expect(await processor.process(messages)).toEqual(messages.map(() => 'duplicate'));
    // Half old, half new: only the new ones reach the handler.
    const more = [...messages.slice(20), ...Array.from({ length: 5 }, (_, i) => {
      const { key, value, headers } = asMessage(sampleOrderEvent(100 + i));
      return { origin: { kind: 'kafka' as const, topic: 't', partition: 0, offset: String(100 + i) }, key, value, headers };
    })];
    expect(await processor.process(more)).toEqual([...Array(5).fill('duplicate'), ...Array(5).fill('handled')]);
    expect(calls).toEqual([25, 5]);
    expect(await countRows(pool, 'rerun_orders')).toBe(30);
  });

  it('handles a message repeated within a batch once, and a batch whose handler throws records nothing', async () => {
    await createSampleReadModel(pool, 'repeat_orders');
    let failFirst = true;
    const processor = new MessageProcessor<RecordedEvent>({
      consumer: `repeat-${randomUUID()}`,
      pool,
      decoder: envelopeDecoder(sampleCatalogue()),
      deadLetters: { write: async () => undefined },
      retry: { maxAttempts: 1 },
      batchHandler: async (items, { tx }) => {
        await insertOrders(tx, 'repeat_orders', items);
        if (failFirst) {
          failFirst = false;
          throw new Error('the first call fails after writing');
        }
      },
    });
    const events = [1, 2, 3].map((seq) => sampleOrderEvent(seq));
    const message = (seq: number, offset: number): IncomingMessage => {
      const { key, value, headers } = asMessage(events[seq - 1]);
      return { origin: { kind: 'kafka', topic: 't', partition: 0, offset: String(offset) }, key, value, headers };
    };
    // The batch call throws, so each message goes alone: had the failed call's record of the keys
    // survived its rollback, they would come out as duplicates with no row written.
    expect(await processor.process([message(1, 0), message(2, 1), message(1, 2)])).toEqual(['handled', 'handled', 'duplicate']);
    expect(await countRows(pool, 'repeat_orders')).toBe(2);
    expect(await processor.process([message(3, 3), message(3, 4)])).toEqual(['handled', 'duplicate']);
    expect(await countRows(pool, 'repeat_orders')).toBe(3);
  });

  it('passes over, unparsed, a message whose type header names a type it does not take; one without the header is decoded', async () => {
    await createSampleReadModel(pool, 'typed_orders');
    const decoded: string[] = [];
    const letters: string[] = [];
    const decode = envelopeDecoder(sampleCatalogue());
    const processor = new MessageProcessor<RecordedEvent>({
      consumer: `typed-${randomUUID()}`,
      pool,
      decoder: (message) => {
        decoded.push(message.origin.kind === 'kafka' ? message.origin.offset : '?');
        return decode(message);
      },
      deadLetters: { write: async (letter) => void letters.push(letter.code) },
      batchTypes: ['OrderPlaced'],
      batchHandler: async (items, { tx }) => insertOrders(tx, 'typed_orders', items),
    });
    const origin = (offset: number) => ({ kind: 'kafka' as const, topic: 't', partition: 0, offset: String(offset) });
    const order = asMessage(sampleOrderEvent(1));
    const messages: IncomingMessage[] = [
      { origin: origin(0), key: order.key, value: order.value, headers: order.headers },
      // Not this consumer's type: not even its broken value is looked at.
      { origin: origin(1), key: 'x', value: 'not json', headers: { ...order.headers, 'clientela-type': 'SomethingElse' } },
      // No type header: decoded, and dead-lettered for what it is.
      { origin: origin(2), key: 'y', value: 'not json', headers: {} },
    ];
    expect(await processor.process(messages)).toEqual(['handled', 'ignored', 'dead_lettered']);
    expect(decoded).toEqual(['0', '2']);
    expect(letters).toHaveLength(1);
    expect(await countRows(pool, 'typed_orders')).toBe(1);
  });

  it('has each event applied once when a restarted consumer is given everything again', async () => {
    const topic = await world.topic('batch', 2);
    await createSampleReadModel(pool, 'batch_orders');
    const kafka = world.kafka();
    const name = `batch-${randomUUID()}`;
    const calls: number[] = [];
    const start = async (): Promise<RunningKafkaConsumer<RecordedEvent>> => {
      const member = await startKafkaConsumer<RecordedEvent>({
        kafka,
        name,
        pool,
        topics: [topic],
        catalogue: sampleCatalogue(),
        batchHandler: async (items, { tx }) => {
          calls.push(items.length);
          await insertOrders(tx, 'batch_orders', items);
        },
      });
      world.onCleanup(() => member.stop());
      return member;
    };
    await send(kafka, topic, Array.from({ length: 200 }, (_, seq) => asMessage(sampleOrderEvent(seq))));
    const first = await start();
    await waitFor(async () => (await countRows(pool, 'batch_orders')) >= 200, async () => `${await countRows(pool, 'batch_orders')} of 200`);
    await waitFor(
      async () => (await pool.query(`select 1 from messaging.handled_events where consumer = $1`, [name])).rowCount === 200,
      () => 'handled keys',
    );
    expect(calls.length).toBeLessThan(200);
    expect(Math.max(...calls)).toBeGreaterThan(1);
    await first.stop();

    // From scratch: the group's offsets go back to the start, so every message is delivered again.
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: name, topic, earliest: true });
    await admin.disconnect();
    calls.length = 0;
    const delivered: number[] = [];
    await start();
    await waitFor(
      async () => {
        const offsets = await (async () => {
          const a = kafka.admin();
          await a.connect();
          try {
            return await a.fetchOffsets({ groupId: name, topics: [topic] });
          } finally {
            await a.disconnect();
          }
        })();
        const committed = offsets[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
        delivered.push(committed);
        return committed === 200;
      },
      () => `committed offsets ${delivered.at(-1)} of 200`,
    );
    expect(calls).toEqual([]);
    expect(await countRows(pool, 'batch_orders')).toBe(200);
    expect(Number((await pool.query<{ n: string }>('select count(distinct order_id) as n from batch_orders')).rows[0].n)).toBe(200);
  });

  it('dead-letters a poison message of a batch with its reason and applies the rest, one by one in the fallback', async () => {
    const topic = await world.topic('batchpoison', 1);
    await createSampleReadModel(pool, 'batch_poison_orders');
    const kafka = world.kafka();
    const name = `batch-poison-${randomUUID()}`;
    const calls: Array<{ size: number; poisoned: boolean }> = [];
    const member = await startKafkaConsumer<RecordedEvent>({
      kafka,
      name,
      pool,
      topics: [topic],
      catalogue: sampleCatalogue(),
      retry: { maxAttempts: 3, backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 } },
      batchHandler: async (items, { tx }) => {
        const poisoned = items.some(({ payload }) => (payload.data as { orderId: string }).orderId === 'explode');
        calls.push({ size: items.length, poisoned });
        if (poisoned) throw new Error('the warehouse said no');
        await insertOrders(tx, 'batch_poison_orders', items);
      },
    });
    world.onCleanup(() => member.stop());
    const valid = Array.from({ length: 20 }, (_, seq) => sampleOrderEvent(seq));
    const exploding = sampleOrderEvent(102, { orderId: 'explode' });
    await send(kafka, topic, [
      ...valid.slice(0, 10).map(asMessage),
      { key: 'c-0', value: '{"this is": not json', headers: { 'x-trace': 'abc' } },
      asMessage(sampleOrderEvent(100, { amount: 'lots' })),
      asMessage(exploding),
      ...valid.slice(10).map(asMessage),
    ]);

    const letters = new KafkaDeadLetters(kafka);
    await waitFor(async () => (await countRows(pool, 'batch_poison_orders')) === 20, async () => `${await countRows(pool, 'batch_poison_orders')} handled`);
    await waitFor(async () => (await letters.list(topic)).length === 3, async () => JSON.stringify(await letters.list(topic)));
    const byCode = new Map((await letters.list(topic)).map((letter) => [letter.code, letter]));
    expect([...byCode.keys()].sort()).toEqual(['handler_failed', 'invalid_event_payload', 'malformed_message']);
    expect(byCode.get('handler_failed')?.reason).toBe('the warehouse said no');
    expect(byCode.get('handler_failed')?.attempts).toBe(3);
    expect(byCode.get('handler_failed')?.eventKey).toBe(exploding.id);
    expect(byCode.get('invalid_event_payload')?.reason).toMatch(/amount/);
    // The batch try had the poison message among others; the fallback gave them one at a time (the poison one 3 times).
    const failedBatch = calls.findIndex((call) => call.poisoned);
    expect(calls[failedBatch].size).toBeGreaterThan(1);
    expect(calls.slice(failedBatch + 1).every((call) => call.size === 1)).toBe(true);
    expect(calls.filter((call) => call.poisoned).map((call) => call.size)).toEqual([calls[failedBatch].size, 1, 1, 1]);
    const { rows } = await pool.query<{ n: string }>(`select count(*) as n from messaging.handled_events where consumer = $1`, [name]);
    expect(Number(rows[0].n)).toBe(20);
  });
});
