import { randomBytes } from 'node:crypto';
import { Contexts, contextTopic, deadLetterTopic, INGEST_TOPIC } from '@clientela/contracts';
import { Kafka, logLevel, type Admin, type KafkaConfig, type LogEntry, type logCreator } from 'kafkajs';

/**
 * Bootstrap addresses of the Kafka broker for this test run. The jest globalSetup starts one broker per run
 * (tools/kafka) and puts its address in KAFKA_BROKERS ("host:port[,host:port...]").
 */
export function kafkaBrokersForTest(): string[] {
  const raw = process.env.KAFKA_BROKERS?.trim();
  if (!raw) {
    throw new Error(
      'KAFKA_BROKERS is not set. Integration tests get it from the jest globalSetup ' +
        '(libs/testing/src/jest/global-setup.js), which starts a broker with tools/kafka: run them through the ' +
        "root jest config (`npx jest --selectProjects integration ...`), or start a broker yourself with " +
        '`npm run kafka:dev` and export KAFKA_BROKERS=<the address it prints>.',
    );
  }
  const brokers = raw
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  const bad = brokers.filter((broker) => !/^[^\s:]+:\d{1,5}$/.test(broker));
  if (bad.length > 0) throw new Error(`KAFKA_BROKERS has malformed entries (expected host:port): ${bad.join(', ')}`);
  return brokers;
}

/**
 * A topic name no other test (or earlier run against the same broker) uses: `<prefix>-<time>-<random>`.
 * The prefix is reduced to Kafka's legal characters ([a-zA-Z0-9._-]).
 */
export function uniqueTopicName(prefix = 'test'): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 180) || 'test';
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** kafkajs log entries at ERROR level seen by clients made with testKafka(), newest last (at most 200). */
export const kafkaTestLogEntries: LogEntry[] = [];

/**
 * A kafkajs logCreator that prints nothing and keeps ERROR entries in kafkaTestLogEntries
 * (set KAFKA_TEST_LOGS=1 to print them to stderr as well).
 */
export const quietKafkaLogCreator: logCreator = () => (entry: LogEntry) => {
  if (entry.level > logLevel.ERROR) return;
  kafkaTestLogEntries.push(entry);
  if (kafkaTestLogEntries.length > 200) kafkaTestLogEntries.shift();
  if (process.env.KAFKA_TEST_LOGS) {
    console.error(`[kafkajs ${entry.namespace}] ${entry.log.message}`);
  }
};

/** A kafkajs configuration for tests: quiet logs, short connection timeout (what a relay takes). */
export function testKafkaConfig(brokers: string[], config: Partial<KafkaConfig> = {}): KafkaConfig {
  return {
    clientId: 'clientela-test',
    brokers,
    logLevel: logLevel.ERROR,
    logCreator: quietKafkaLogCreator,
    connectionTimeout: 3_000,
    ...config,
  };
}

/** A kafkajs client for tests, configured as testKafkaConfig. */
export function testKafka(brokers: string[], config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka(testKafkaConfig(brokers, config));
}

async function withAdmin<T>(brokers: string[], use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka(brokers, { clientId: 'clientela-test-admin' }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates the topics (replication factor 1) and waits until every partition has a leader, so producers and
 * consumers can use them at once. Throws if any of them already exists: test topics should be unique.
 */
export async function createTestTopics(
  brokers: string[],
  names: string[],
  partitions = 1,
  configEntries: Record<string, string> = {},
): Promise<void> {
  if (names.length === 0) return;
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`partitions must be a positive integer, got ${partitions}`);
  await withAdmin(brokers, async (admin) => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      timeout: 30_000,
      topics: names.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: Object.entries(configEntries).map(([name, value]) => ({ name, value })),
      })),
    });
    if (!created) {
      throw new Error(`createTestTopics: some of these topics already exist: ${names.join(', ')} (use uniqueTopicName)`);
    }
  });
}

/**
 * Deletes the topics that exist (missing ones are ignored) and waits until the broker no longer lists them.
 */
export async function deleteTestTopics(brokers: string[], names: string[], timeoutMs = 30_000): Promise<void> {
  if (names.length === 0) return;
  await withAdmin(brokers, async (admin) => {
    const wanted = new Set(names);
    const existing = (await admin.listTopics()).filter((topic) => wanted.has(topic));
    if (existing.length > 0) await admin.deleteTopics({ topics: existing, timeout: timeoutMs });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = (await admin.listTopics()).filter((topic) => wanted.has(topic));
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`deleteTestTopics: still listed after ${timeoutMs} ms: ${left.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

/** True once the consumer group has committed every offset of the topic that holds a message: all of it handled, or passed over as a duplicate. */
export async function groupCaughtUp(brokers: string[], groupId: string, topic: string): Promise<boolean> {
  return withAdmin(brokers, async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    // A partition holding no message (never written, or emptied by deleteRecords) has nothing to handle.
    return ends.every((end) => Number(end.high) <= Number(end.low) || Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1) >= Number(end.high));
  });
}

/** Every topic a platform under `prefix` may create (each context's events, ingest, and their dead letters): what an e2e test deletes after itself. */
export const platformTopics = (prefix: string): string[] =>
  [...Contexts.map((context) => `${prefix}${contextTopic(context)}`), `${prefix}${INGEST_TOPIC}`].flatMap((topic) => [topic, deadLetterTopic(topic)]);
