import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Pool, PoolClient } from 'pg';
import type { IngestMessage } from '@clientela/contracts';
import { KafkaDeadLetters, startIngestConsumer, type RunningKafkaConsumer } from '@clientela/messaging';
import { createTestDatabase, createTestTopics, deleteTestTopics, kafkaBrokersForTest, testKafka, uniqueTopicName, type TestDatabase } from '@clientela/testing';
import { runCli } from './testing/run-cli';

const SAMPLE = join(__dirname, '..', '..', '..', 'datasets', 'cdnow', 'cdnow_sample.txt');
const ORDERS = 6_919;

// The Kafka door of `clientela ingest`, against the ingest consumer of libs/messaging (dedupe by
// source and id). The HTTP door (POST /api/v1/events) is tested end to end once the contacts
// service's endpoint is in main; until then only its refusals without a gateway are.
describe('clientela ingest --via kafka', () => {
  let database: TestDatabase;
  let pool: Pool;
  let consumer: RunningKafkaConsumer<IngestMessage>;
  const brokers = kafkaBrokersForTest();
  const topic = uniqueTopicName('ingest-cli');
  const cli = (...args: string[]) => runCli([...args, '--via', 'kafka', '--topic', topic, '--kafka-brokers', brokers.join(',')], { DATABASE_URL: database.url });
  const landed = async () => (await pool.query<{ n: string; ids: string }>('select count(*)::text as n, count(distinct id)::text as ids from orders')).rows[0];
  const group = `ingest-${randomUUID()}`;
  /** Waits until the consumer group has committed every message of the topic: all of it handled, or passed over as a duplicate. */
  const settle = async () => {
    const admin = testKafka(brokers).admin();
    await admin.connect();
    try {
      for (let i = 0; i < 1_200; i++) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const behind = ends.some((end) => BigInt(committed.partitions.find((p) => p.partition === end.partition)?.offset.replace('-1', '0') ?? '0') < BigInt(end.high));
        if (!behind) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the ingest consumer did not catch up');
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase('cli_ingest');
    pool = database.pool();
    await pool.query('create table orders (id text, customer text, amount numeric)');
    await createTestTopics(brokers, [topic, `${topic}.dlq`], 3);
    consumer = await startIngestConsumer({
      kafka: testKafka(brokers),
      name: group,
      pool,
      topic,
      handlers: {
        OrderPlaced: async (message: IngestMessage, { tx }: { tx: PoolClient }) => {
          await tx.query('insert into orders values ($1, $2, $3)', [message.id, message.customer.externalId, (message.data as { amount: number }).amount]);
        },
      },
    });
  });
  afterAll(async () => {
    await consumer?.stop();
    await deleteTestTopics(brokers, [topic, `${topic}.dlq`]).catch(() => undefined);
    await database.drop();
  });

  it('lands every CDNOW order of the sample once, and sending the file again adds nothing', async () => {
    const first = await cli('ingest', SAMPLE, '--format', 'cdnow');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`6,919 messages: 6,919 sent to Kafka, 0 rejected before sending (the ingest consumer dedupes and dead-letters)\n`);
    expect(first.stderr).toMatch(/\| 100 % \| 6919\/6919 messages/);
    await settle();
    expect(await landed()).toEqual({ n: String(ORDERS), ids: String(ORDERS) });
    const { rows } = await pool.query<{ total: string }>('select sum(amount)::text as total from orders');
    expect(Number(rows[0].total)).toBeGreaterThan(0);

    const second = await cli('ingest', SAMPLE, '--format', 'cdnow', '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ messages: ORDERS, sent: ORDERS, rejected: 0 });
    await settle();
    expect(await landed()).toEqual({ n: String(ORDERS), ids: String(ORDERS) });
    expect(await new KafkaDeadLetters(testKafka(brokers)).list(topic)).toEqual([]);
  });

  it('reports what breaks the contract with its line and sends only the rest (NDJSON)', async () => {
    const file = join(tmpdir(), `ingest-${randomUUID()}.ndjson`);
    const good = { id: 'n-1', type: 'OrderPlaced', occurredAt: '2026-01-01T00:00:00Z', source: 'shop', customer: { email: 'a@example.com' }, data: { orderId: 'o1', lines: [{ sku: 'A', quantity: 1, unitPrice: 2 }], amount: 2, currency: 'EUR' } };
    writeFileSync(file, [JSON.stringify(good), '{not json', JSON.stringify({ ...good, id: 'n-2', customer: {} }), ''].join('\n'));
    const result = await cli('ingest', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('3 messages: 1 sent to Kafka, 2 rejected before sending');
    expect(result.stdout).toMatch(/^ {2}line 2: not JSON/m);
    expect(result.stdout).toMatch(/^ {2}line 3: invalid ingest message: customer: customer needs at least one of externalId, email, phone$/m);
    await settle();
    expect((await pool.query('select 1 from orders where id = $1', ['n-1'])).rowCount).toBe(1);
  });

  it('says what it needs for HTTP, and what it could not reach', async () => {
    const noGateway = await runCli(['ingest', SAMPLE, '--format', 'cdnow'], { DATABASE_URL: database.url });
    expect(noGateway.stderr).toContain('--via http needs the gateway: --url and --api-key');
    const down = await runCli(['ingest', SAMPLE, '--format', 'cdnow', '--url', 'http://127.0.0.1:1', '--api-key', 'k'], {});
    expect(down.stderr).toContain('could not reach the gateway at http://127.0.0.1:1 (--url)');
    expect((await runCli(['ingest', 'no/such/file'], {})).stderr).toContain('cannot read no/such/file');
  });
});
