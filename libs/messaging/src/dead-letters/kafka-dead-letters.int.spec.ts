import { useTestWorld } from '@clientela/testing';
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { DeadLetterHeaders } from '../headers';
import { KafkaDeadLetters, KafkaDeadLetterSink } from './kafka-dead-letters';

describe('re-driving Kafka dead letters', () => {
  const world = useTestWorld({ name: 'messaging_redrive', database: false });
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    kafka = world.kafka();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    world.onCleanup(() => producer.disconnect());
  });

  /** A topic and its DLQ holding `count` dead letters of consumer `consumer`, written as a consumer writes them. */
  const topicWithLetters = async (count: number, consumer = 'orders') => {
    const topic = await world.topic('redrive', 2);
    const sink = new KafkaDeadLetterSink(producer);
    for (let i = 0; i < count; i++) {
      await sink.write({
        consumer,
        code: 'handler_failed',
        reason: 'the warehouse said no',
        attempts: 3,
        failedAt: new Date(),
        message: { key: `k${i}`, value: `{"n":${i}}`, headers: { 'clientela-id': randomUUID() }, origin: { kind: 'kafka', topic, partition: i % 2, offset: String(i) } },
      });
    }
    return topic;
  };

  /** The messages re-driven onto `topic`, by the dead letter each came from. */
  const redriven = async (topic: string): Promise<string[]> => {
    const admin = kafka.admin();
    await admin.connect();
    let total: number;
    try {
      total = (await admin.fetchTopicOffsets(topic)).reduce((sum, { high }) => sum + Number(high), 0);
    } finally {
      await admin.disconnect();
    }
    if (total === 0) return [];
    const from: string[] = [];
    const reader = kafka.consumer({ groupId: `redrive-reader-${randomUUID()}` });
    await reader.connect();
    try {
      await reader.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        reader
          .run({
            eachMessage: async ({ message }) => {
              from.push(message.headers?.[DeadLetterHeaders.redrivenFrom]?.toString() ?? '');
              if (from.length === total) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await reader.disconnect();
    }
    return from.sort();
  };

  it('sends each dead letter once, however often a re-drive of all of them runs', async () => {
    const topic = await topicWithLetters(3);
    const letters = new KafkaDeadLetters(kafka);
    const ids = (await letters.list(topic)).map((letter) => letter.id).sort();
    expect(ids).toHaveLength(3);

    expect(await letters.redrive(topic)).toBe(3);
    expect(await letters.redrive(topic)).toBe(0);
    expect(await redriven(topic)).toEqual(ids);
    // Re-driven letters are closed: the listing shows open ones, unless asked for all.
    expect(await letters.list(topic)).toEqual([]);
    const all = await letters.list(topic, { includeRedriven: true });
    expect(all.map((letter) => [letter.id, letter.redriven])).toEqual(ids.map((id) => [id, true]));
  });

  it('after a re-drive of some by id, a re-drive of all sends only the others', async () => {
    const topic = await topicWithLetters(4);
    const letters = new KafkaDeadLetters(kafka);
    const ids = (await letters.list(topic)).map((letter) => letter.id).sort();

    expect(await letters.redrive(topic, { ids: [ids[0], ids[1]] })).toBe(2);
    expect(await letters.redrive(topic, { ids: [ids[0]] })).toBe(0);
    expect(await letters.redrive(topic)).toBe(2);
    expect(await redriven(topic)).toEqual(ids);
  });
});
