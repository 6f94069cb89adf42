/**
 * Proves the real broker started by tools/kafka works with kafkajs 2.2.4: admin, produce, consume,
 * a consumer group sharing partitions, and data surviving a broker restart (an outage).
 *
 * Uses the run's shared broker (KAFKA_BROKERS, set by the jest globalSetup) when present, else starts one.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Partitioners, type Consumer, type Kafka } from 'kafkajs';
import {
  createTestTopics,
  deleteTestTopics,
  testKafka,
  uniqueTopicName,
} from '../../../libs/testing/src/kafka';
import { startKafka, type KafkaBroker } from './index';

interface Received {
  member: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function producerFor(kafka: Kafka) {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
}

function consumerFor(kafka: Kafka, groupId: string): Consumer {
  return kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10_000, maxWaitTimeInMs: 250 });
}

/** Reads `count` messages of `topic` from the beginning with a fresh group, then disconnects. */
async function readAll(kafka: Kafka, topic: string, groupId: string, count: number): Promise<Received[]> {
  const consumer = consumerFor(kafka, groupId);
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({
          member: groupId,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
        });
      },
    });
    await waitFor(`${count} message(s) on ${topic}`, () => received.length >= count);
    await sleep(300); // let anything unexpected (a duplicate) arrive before we look
  } finally {
    await consumer.disconnect();
  }
  return received;
}

describe('one-node Kafka broker (tools/kafka) with kafkajs 2.2.4', () => {
  let brokers: string[];
  let ownBroker: KafkaBroker | undefined;
  const topicsToDelete: string[] = [];

  beforeAll(async () => {
    const shared = process.env.KAFKA_BROKERS?.trim();
    if (shared) {
      brokers = shared.split(',');
    } else {
      ownBroker = await startKafka();
      brokers = ownBroker.brokers;
    }
  });

  afterAll(async () => {
    try {
      if (topicsToDelete.length > 0) await deleteTestTopics(brokers, topicsToDelete).catch(() => undefined);
    } finally {
      await ownBroker?.stop();
    }
  });

  it('creates topics, produces, consumes, shares a 4-partition topic across a 2-member group, deletes the topics', async () => {
    const kafka = testKafka(brokers);
    const plainTopic = uniqueTopicName('runner-plain');
    const groupTopic = uniqueTopicName('runner-group');
    topicsToDelete.push(plainTopic, groupTopic);

    // Admin: create with waitForLeaders, and check what the broker reports back.
    await createTestTopics(brokers, [plainTopic], 1);
    await createTestTopics(brokers, [groupTopic], 4);
    const admin = kafka.admin();
    const producer = producerFor(kafka);
    await admin.connect();
    await producer.connect();
    try {
      const listed = await admin.listTopics();
      expect(listed).toEqual(expect.arrayContaining([plainTopic, groupTopic]));
      const { topics } = await admin.fetchTopicMetadata({ topics: [plainTopic, groupTopic] });
      const partitionsOf = (name: string) => topics.find((t) => t.name === name)?.partitions ?? [];
      expect(partitionsOf(plainTopic)).toHaveLength(1);
      expect(partitionsOf(groupTopic).map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
      expect(partitionsOf(groupTopic).every((p) => p.leader === 1)).toBe(true);

      // Produce then consume, keys/values/headers intact and in order.
      const plain = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `plain-${i}`, headers: { seq: String(i) } }));
      const [ack] = await producer.send({ topic: plainTopic, acks: -1, messages: plain });
      expect(ack?.errorCode).toBe(0);

      const consumer = consumerFor(kafka, uniqueTopicName('runner-plain-group'));
      const got: { key: string; value: string; seq: string; offset: string }[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [plainTopic], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            got.push({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              seq: message.headers?.seq?.toString() ?? '',
              offset: message.offset,
            });
          },
        });
        await waitFor('5 plain messages', () => got.length >= 5);
        await sleep(300);
      } finally {
        await consumer.disconnect();
      }
      expect(got).toEqual(plain.map((m, i) => ({ key: m.key, value: m.value, seq: String(i), offset: String(i) })));

      // Consumer group: two members share the 4 partitions.
      const groupId = uniqueTopicName('runner-group-members');
      const members = ['member-a', 'member-b'];
      const received: Received[] = [];
      const assignment = new Map<string, number[]>();
      const consumers = members.map((member) => {
        const c = consumerFor(kafka, groupId);
        c.on(c.events.GROUP_JOIN, (event) => {
          assignment.set(member, [...(event.payload.memberAssignment[groupTopic] ?? [])].sort());
        });
        return { member, consumer: c };
      });
      try {
        for (const { member, consumer: c } of consumers) {
          await c.connect();
          await c.subscribe({ topics: [groupTopic], fromBeginning: true });
          await c.run({
            eachMessage: async ({ partition, message }) => {
              received.push({
                member,
                partition,
                offset: message.offset,
                key: message.key?.toString() ?? '',
                value: message.value?.toString() ?? '',
              });
            },
          });
        }
        // Wait for the group to settle with both members, each owning part of the topic.
        await waitFor('a stable 2-member group splitting 4 partitions', async () => {
          const a = assignment.get('member-a') ?? [];
          const b = assignment.get('member-b') ?? [];
          if (a.length === 0 || b.length === 0) return false;
          if ([...a, ...b].sort().join() !== '0,1,2,3') return false;
          const { groups } = await admin.describeGroups([groupId]).catch(() => ({ groups: [] }));
          return groups[0]?.state === 'Stable' && groups[0]?.members.length === 2;
        }, 60_000);

        // 20 keys (fixed names, so the key -> partition mapping is deterministic), 10 events each, in order.
        const keys = Array.from({ length: 20 }, (_, i) => `customer-${i}`);
        const perKey = 10;
        for (let round = 0; round < perKey; round += 2) {
          const messages: { key: string; value: string }[] = [];
          for (const seq of [round, round + 1]) {
            for (const key of keys) messages.push({ key, value: `${key}:${seq}` });
          }
          await producer.send({ topic: groupTopic, acks: -1, messages });
        }
        const total = keys.length * perKey;
        await waitFor(`${total} group messages`, () => received.length >= total);
        await sleep(1_000); // a duplicate delivery would show up here
      } finally {
        for (const { consumer: c } of consumers) await c.disconnect();
      }

      expect(received).toHaveLength(200);
      // Exactly once across the group: every (key, seq) once, nothing else.
      const values = received.map((r) => r.value).sort();
      const expected = Array.from({ length: 20 }, (_, k) => Array.from({ length: 10 }, (_, s) => `customer-${k}:${s}`))
        .flat()
        .sort();
      expect(values).toEqual(expected);
      // Both members did work, and no partition was read by both.
      const byMember = new Map(members.map((m) => [m, received.filter((r) => r.member === m)]));
      expect(byMember.get('member-a')?.length).toBeGreaterThan(0);
      expect(byMember.get('member-b')?.length).toBeGreaterThan(0);
      for (const partition of [0, 1, 2, 3]) {
        expect(new Set(received.filter((r) => r.partition === partition).map((r) => r.member)).size).toBeLessThanOrEqual(1);
      }
      // Per-key order: each key lives on one partition and its events arrive 0, 1, 2, ... 9.
      for (let k = 0; k < 20; k++) {
        const key = `customer-${k}`;
        const events = received.filter((r) => r.key === key);
        expect(new Set(events.map((r) => r.partition)).size).toBe(1);
        expect(events.map((r) => Number(r.value.split(':')[1]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
      // Keys really were spread over all 4 partitions (otherwise "sharing" proves little).
      expect(new Set(received.map((r) => r.partition)).size).toBe(4);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }

    // Delete and check they are gone.
    await deleteTestTopics(brokers, [plainTopic, groupTopic]);
    topicsToDelete.length = 0;
    const check = kafka.admin();
    await check.connect();
    try {
      const after = await check.listTopics();
      expect(after).not.toContain(plainTopic);
      expect(after).not.toContain(groupTopic);
    } finally {
      await check.disconnect();
    }
  });

  it('keeps messages and committed offsets across a stop and restart on the same port and data dir', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'clientela-kafka-restart-'));
    let broker: KafkaBroker | undefined;
    try {
      broker = await startKafka({ dataDir });
      const { port, controllerPort, clusterId } = broker;
      const first = broker.brokers;
      const topic = uniqueTopicName('runner-restart');
      const groupId = uniqueTopicName('runner-restart-group');
      await createTestTopics(first, [topic], 2);

      // Before the outage: one message, consumed and committed by a group.
      let kafka = testKafka(first);
      let producer = producerFor(kafka);
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'customer-1', value: 'before-restart' }] });
      await producer.disconnect();
      const beforeGroup = await readAll(kafka, topic, groupId, 1);
      expect(beforeGroup.map((r) => r.value)).toEqual(['before-restart']);

      // Outage: the broker process is gone and the address refuses clients.
      const firstPid = broker.pid;
      await broker.stop();
      expect(() => process.kill(firstPid, 0)).toThrow(); // the JVM is gone
      const down = testKafka(first, { retry: { retries: 0 }, connectionTimeout: 1_000 }).admin();
      await expect(down.connect()).rejects.toThrow();
      await down.disconnect().catch(() => undefined);

      // Restart on the same ports and data dir.
      broker = await startKafka({ port, controllerPort, dataDir });
      expect(broker.brokers).toEqual(first);
      expect(broker.clusterId).toBe(clusterId);
      kafka = testKafka(broker.brokers);
      const admin = kafka.admin();
      await admin.connect();
      try {
        expect((await admin.describeCluster()).clusterId).toBe(clusterId);
        expect(await admin.listTopics()).toContain(topic);
      } finally {
        await admin.disconnect();
      }

      // The message from before the restart is still there for a new group...
      const fresh = await readAll(kafka, topic, uniqueTopicName('runner-restart-fresh'), 1);
      expect(fresh.map((r) => ({ key: r.key, value: r.value }))).toEqual([{ key: 'customer-1', value: 'before-restart' }]);

      // ...and the old group resumes after its committed offset: it sees only the new message.
      producer = producerFor(kafka);
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'customer-1', value: 'after-restart' }] });
      await producer.disconnect();
      const resumed = await readAll(kafka, topic, groupId, 1);
      expect(resumed.map((r) => r.value)).toEqual(['after-restart']);

      await deleteTestTopics(broker.brokers, [topic]);
    } finally {
      await broker?.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
