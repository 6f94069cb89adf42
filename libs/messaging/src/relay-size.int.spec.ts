import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { KafkaMessage } from 'kafkajs';
import { streamId, ValidationError } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { useTestWorld } from '@clientela/testing';
import { EventHeaders } from './headers';
import { Relay } from './relay/relay';
import { sampleCatalogue } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

describe('relay and event size: what the broker takes', () => {
  const world = useTestWorld({ name: 'messaging_size', store: (pool) => PostgresEventStore.create({ pool, catalogue: sampleCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;
  let topic: string;

  beforeAll(async () => {
    ({ pool, store } = world);
    topic = await world.topic('size');
  });

  it('relays a page larger than one Kafka message batch in several requests, in order', async () => {
    // 600 events of 2.5 KB in one stream: one key, one partition, a page of 500 is 1.25 MB.
    const stream = streamId('order');
    const padding = 'x'.repeat(2_500);
    for (let from = 0; from < 600; from += 100) {
      await store.append(
        stream,
        Array.from({ length: 100 }, (_, i) => ({ type: 'OrderPlaced', data: { customerId: 'c-big', orderId: `${from + i}-${padding}`, seq: from + i, amount: 1 } })),
      );
    }
    const relay = new Relay({ store, pool, kafka: world.kafkaConfig(), name: `size-${randomUUID()}`, topicOf: () => topic });
    await relay.start();

    const received: number[] = [];
    const consumer = world.kafka().consumer({ groupId: `size-${randomUUID()}`, maxBytes: 20 * 1024 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }: { message: KafkaMessage }) => {
        if (message.headers?.[EventHeaders.id]) received.push(Number((JSON.parse(message.value!.toString()) as { data: { seq: number } }).data.seq));
      },
    });
    await waitFor(() => received.length >= 600, () => `received ${received.length}, relay health ${JSON.stringify(relay.health())}`, 30_000);
    await consumer.disconnect();
    await relay.stop();
    expect(received).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('refuses an event too large for the bus where it is appended, naming the field, and writes nothing', async () => {
    const stream = streamId('order');
    const refused = store.append(stream, [{ type: 'OrderPlaced', data: { customerId: 'c-huge', orderId: 'y'.repeat(1_000_000), seq: 0, amount: 1 } }]);
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toEqual(expect.objectContaining({ violations: [expect.objectContaining({ path: 'events.0.data' })] }));
    expect(await store.readStream(stream).catch(() => [])).toEqual([]);
  });
});
