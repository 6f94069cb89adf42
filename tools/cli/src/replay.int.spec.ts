import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { streamId, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { decodeHeaders, toTopicMessages } from '@clientela/messaging';
import { createTestDatabase, createTestTopics, deleteTestTopics, kafkaBrokersForTest, testKafka, uniqueTopicName, type TestDatabase } from '@clientela/testing';
import { waitUntilReadable } from '@clientela/event-store/testing';
// The sample orders of libs/projections' tests (not exported by the library).
import { ordersCatalogue } from '@clientela/projections/testing';
import { runCli, spawnCli } from './testing/run-cli';

interface Received {
  key: string;
  value: string;
  headers: Record<string, string>;
}

describe('clientela replay', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let brokers: string[];
  let kafka: Kafka;
  const topics: string[] = [];
  const replayed = `order${randomUUID().slice(0, 6)}`;
  const other = `other${randomUUID().slice(0, 6)}`;
  let all: RecordedEvent[];

  /** Reads a topic from its start until `count` messages came, then a second longer to catch any extra. */
  const consume = async (topic: string, count: number): Promise<Received[]> => {
    const consumer = kafka.consumer({ groupId: `replay-test-${randomUUID()}` });
    const received: Received[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let enough: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (enough = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: message.key!.toString(), value: message.value!.toString(), headers: decodeHeaders(message.headers) });
        if (received.length >= count) enough();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reached, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
    clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await consumer.disconnect();
    return received;
  };

  /** What the relay would publish for these events, message for message. */
  const asRelayed = (events: RecordedEvent[], topic: string): Received[] =>
    toTopicMessages(events, () => topic).flatMap((t) => t.messages.map((m) => ({ key: String(m.key), value: String(m.value), headers: m.headers as Record<string, string> })));

  beforeAll(async () => {
    brokers = kafkaBrokersForTest();
    kafka = testKafka(brokers);
    database = await createTestDatabase('cli_replay');
    store = await PostgresEventStore.create({ pool: database.pool(), catalogue: ordersCatalogue() });
    let last = 0n;
    for (let i = 0; i < 60; i++) {
      const customerId = `c${i % 7}`;
      ({ position: last } = await store.append(streamId(i % 3 === 0 ? other : replayed), [
        { type: 'OrderPlaced', data: { orderId: randomUUID(), customerId, amount: i, currency: 'USD', items: 1, placedAt: '1997-01-01T00:00:00.000Z' } },
      ]));
    }
    await waitUntilReadable(store, last, 30_000);
    all = (await store.readAll({ maxCount: 1_000, raw: true })).events;
    expect(all).toHaveLength(60);
  });
  afterAll(async () => {
    await deleteTestTopics(brokers, topics).catch(() => undefined);
    await store.close();
    await database.drop();
  });

  const newTopic = async () => {
    const topic = uniqueTopicName('replay');
    topics.push(topic);
    await createTestTopics(brokers, [topic], 1);
    return topic;
  };

  it("sends a category's position range to a new topic: a consumer receives exactly those events, in order, once, as the relay publishes them", async () => {
    const topic = await newTopic();
    const from = all[9].position;
    const to = all[49].position;
    const expected = all.filter((e) => e.position > from && e.position <= to && e.streamId.startsWith(`${replayed}-`));
    const args = ['replay', '--category', replayed, '--from-position', from.toString(), '--to-position', to.toString(), '--to-topic', topic, '--kafka-brokers', brokers.join(',')];

    const dry = await runCli([...args, '--dry-run', '--json'], { DATABASE_URL: database.url });
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, total: expected.length, topics: { [topic]: expected.length } });

    const result = await runCli(args, { DATABASE_URL: database.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`finished: sent ${expected.length} events now`);
    expect(result.stderr).toMatch(/\| 100 % \|/);
    const received = await consume(topic, expected.length);
    expect(received).toEqual(asRelayed(expected, topic));

    const again = await runCli(args, { DATABASE_URL: database.url });
    expect(again.stdout).toContain(`finished: sent 0 events now, ${expected.length} in earlier runs`);
  });

  it('resumes an interrupted replay with the same arguments and sends nothing twice', async () => {
    const topic = await newTopic();
    const expected = all.filter((e) => e.streamId.startsWith(`${replayed}-`));
    const args = ['replay', '--category', replayed, '--to-topic', topic, '--kafka-brokers', brokers.join(',')];
    const slow = spawnCli([...args, '--rate', '10'], { DATABASE_URL: database.url });
    // Interrupted once it has sent something (a page of 10 per second), well before its end.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const { rows } = await database
        .pool()
        .query<{ sent: string }>(`select sent from messaging.replays where arguments->>'toTopic' = $1`, [topic])
        .catch(() => ({ rows: [] as { sent: string }[] }));
      if (rows.length && Number(rows[0].sent) >= 10 && Number(rows[0].sent) < expected.length) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    slow.child.kill('SIGINT');
    const interrupted = await slow.result;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toMatch(/^interrupted: sent \d+ events now/m);
    const sentFirst = Number(/sent (\d+) events now/.exec(interrupted.stdout)![1]);
    expect(sentFirst).toBeGreaterThan(0);
    expect(sentFirst).toBeLessThan(expected.length);

    const resumed = await runCli(args, { DATABASE_URL: database.url });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`finished: sent ${expected.length - sentFirst} events now, ${sentFirst} in earlier runs`);
    const received = await consume(topic, expected.length);
    expect(received).toEqual(asRelayed(expected, topic));
  });

  it('refuses what it cannot do, clearly', async () => {
    const noKafka = await runCli(['replay', '--category', replayed], { DATABASE_URL: database.url });
    expect(noKafka.stderr).toContain('replay needs Kafka: set BUS=kafka and KAFKA_BROKERS');
    const noTopic = await runCli(['replay', '--to-topic', 'no-such-topic-here', '--kafka-brokers', brokers.join(',')], { DATABASE_URL: database.url });
    expect(noTopic.stderr).toContain('topic no-such-topic-here does not exist');
    const down = await runCli(['replay', '--kafka-brokers', '127.0.0.1:1'], { DATABASE_URL: database.url });
    expect(down.stderr).toContain('could not reach Kafka at 127.0.0.1:1');
    expect((await runCli(['replay', '--rate', '0'], { DATABASE_URL: database.url })).stderr).toContain('--rate must be a positive number');
  });
});
