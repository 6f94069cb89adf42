import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { KafkaMessage } from 'kafkajs';
import { streamId } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { useTestWorld } from '@clientela/testing';
import { EventHeaders } from './headers';
import { Relay } from './relay/relay';
import { sampleCatalogue } from './testing/sample-events';
import { waitFor } from './testing/wait-for';

describe('relay lease: one relay of a name publishes, another takes over', () => {
  const world = useTestWorld({ name: 'messaging_lease', store: (pool) => PostgresEventStore.create({ pool, catalogue: sampleCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;
  let topic: string;

  beforeAll(async () => {
    ({ pool, store } = world);
    topic = await world.topic('lease', 3);
  });

  it('has exactly one leader; when it stops the standby resumes from its checkpoint, no event lost', async () => {
    const append = async (n: number, from: number) => {
      for (let i = from; i < from + n; i++) {
        await store.append(streamId('order'), [{ type: 'OrderPlaced', data: { customerId: `c${i % 7}`, orderId: `o${i}`, seq: i, amount: 1 } }]);
      }
    };
    const relays = [0, 1].map(() => new Relay({ store, pool, kafka: world.kafkaConfig(), name: 'lease', topicOf: () => topic, batchSize: 20, takeoverIntervalMs: 100 }));
    await Promise.all(relays.map((r) => r.start()));
    expect(relays.filter((r) => r.isLeading)).toHaveLength(1);
    const leader = relays.find((r) => r.isLeading) as Relay;
    const standby = relays.find((r) => !r.isLeading) as Relay;

    const received = new Map<string, number>();
    const consumer = world.kafka().consumer({ groupId: `lease-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }: { message: KafkaMessage }) => {
        const id = message.headers?.[EventHeaders.id]?.toString() ?? 'missing';
        received.set(id, (received.get(id) ?? 0) + 1);
      },
    });

    await append(100, 0);
    await waitFor(() => received.size >= 100, () => `received ${received.size}`);
    await leader.stop();
    await waitFor(() => standby.isLeading, () => 'standby did not take over');
    await append(100, 100);
    await waitFor(() => received.size >= 200, () => `received ${received.size}`);
    await standby.stop();
    await consumer.disconnect();

    expect(received.size).toBe(200);
    // Handing over resumes at the checkpoint: nothing is published twice here (the leader stopped cleanly).
    expect([...received.values()].every((n) => n === 1)).toBe(true);
  });
});
