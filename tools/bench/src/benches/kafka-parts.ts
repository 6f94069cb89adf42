import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchHandler, Kafka } from 'kafkajs';

/** What the kafka bench's pipelines share: waiting, topics and consumer groups of their own. */

/** Partitions of every topic the kafka bench makes. */
export const PARTITIONS = 3;

export const waitUntil = async (check: () => boolean, timeoutMs: number, what: () => string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`kafka bench: timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** A topic of PARTITIONS partitions and its dead-letter topic. */
export const createTopic = async (kafka: Kafka, topic: string): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }, { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
};

/** Deletes a topic made by createTopic and its dead-letter topic. */
export const deleteTopic = async (kafka: Kafka, topic: string): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
  await admin.disconnect();
};

/** A consumer group of its own on `topic`, from the beginning, its partitions consumed concurrently; resolves once it has joined. */
export const startGroup = async (kafka: Kafka, topic: string, maxWaitTimeInMs: number, eachBatch: EachBatchHandler): Promise<Consumer> => {
  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.run({ partitionsConsumedConcurrently: PARTITIONS, eachBatch });
  await waitUntil(() => joined, 60_000, () => `a consumer group of ${topic} to join`);
  return consumer;
};
