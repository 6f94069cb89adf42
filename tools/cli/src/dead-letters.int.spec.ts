import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { deadLetterTopic } from '@clientela/contracts';
import { decodeHeaders, KafkaDeadLetterSink } from '@clientela/messaging';
import { createTestDatabase, createTestTopics, deleteTestTopics, kafkaBrokersForTest, testKafka, uniqueTopicName, type TestDatabase } from '@clientela/testing';
import { runCli } from './testing/run-cli';

describe('clientela dead-letters on Kafka', () => {
  let database: TestDatabase;
  let brokers: string[];
  let kafka: Kafka;
  const topic = uniqueTopicName('dlq-cli');
  const env = () => ({ DATABASE_URL: database.url });
  const cli = (...args: string[]) => runCli([...args, '--kafka-brokers', brokers.join(',')], env());

  beforeAll(async () => {
    brokers = kafkaBrokersForTest();
    kafka = testKafka(brokers);
    database = await createTestDatabase('cli_dlq');
    await createTestTopics(brokers, [topic, deadLetterTopic(topic)], 1);
    const producer = kafka.producer();
    await producer.connect();
    const sink = new KafkaDeadLetterSink(producer);
    for (const [i, reason] of ['customer unknown', 'amount is negative'].entries()) {
      await sink.write({
        consumer: i === 0 ? 'contacts.ingest' : 'sales.orders',
        code: 'handler_failed',
        reason,
        attempts: 5,
        failedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        eventType: 'OrderPlaced',
        message: { origin: { kind: 'kafka', topic, partition: 0, offset: String(i) }, key: `k${i}`, headers: { 'clientela-id': randomUUID(), 'clientela-type': 'OrderPlaced' }, value: `{"n":${i}}` },
      });
    }
    await producer.disconnect();
  });
  afterAll(async () => {
    await deleteTestTopics(brokers, [topic, deadLetterTopic(topic)]).catch(() => undefined);
    await database.drop();
  });

  it('lists each open letter with its consumer and reason, shows one, and re-drives it back to its topic once', async () => {
    const list = await cli('dead-letters', 'list', '--topic', topic);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID +CONSUMER +FAILED AT +CODE +TYPE +ATTEMPTS +REASON$/);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/).slice(1, 2).concat(l.split(/ {2,}/).slice(-1)))).toEqual([
      ['contacts.ingest', 'customer unknown'],
      ['sales.orders', 'amount is negative'],
    ]);
    const mine = JSON.parse((await cli('dead-letters', 'list', '--topic', topic, '--consumer', 'sales.orders', '--json')).stdout) as Array<{ id: string }>;
    expect(mine).toHaveLength(1);
    const id = mine[0].id;
    expect(id).toBe(`${deadLetterTopic(topic)}:0:1`);
    expect(JSON.parse((await cli('dead-letters', 'show', id)).stdout)).toMatchObject({ id, consumer: 'sales.orders', reason: 'amount is negative', key: 'k1', value: { n: 1 } });

    expect((await cli('dead-letters', 'redrive', id)).stdout).toBe('re-drove 1 dead letter\n');
    expect((await cli('dead-letters', 'redrive', id)).stdout).toBe('re-drove 0 dead letters\n');
    const left = JSON.parse((await cli('dead-letters', 'list', '--topic', topic, '--json')).stdout) as Array<{ consumer: string }>;
    expect(left.map((l) => l.consumer)).toEqual(['contacts.ingest']);

    const consumer = kafka.consumer({ groupId: `dlq-cli-${randomUUID()}` });
    const back: Array<{ key: string; value: string; from: string }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void back.push({ key: String(message.key), value: String(message.value), from: decodeHeaders(message.headers)['clientela-redriven-from'] }) });
    for (let i = 0; i < 200 && back.length < 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await consumer.disconnect();
    expect(back).toEqual([{ key: 'k1', value: '{"n":1}', from: id }]);
    expect((await cli('dead-letters', 'show', id)).stderr).toContain(`no open dead letter has the id ${id}`);
  });
});
