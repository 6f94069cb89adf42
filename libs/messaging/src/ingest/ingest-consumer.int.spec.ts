import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { IngestMessage } from '@clientela/contracts';
import { KafkaDeadLetters } from '../dead-letters/kafka-dead-letters';
import { silentLogger } from '@clientela/platform';
import { useTestWorld, createTestTopics, deleteTestTopics, uniqueTopicName } from '@clientela/testing';
import { waitFor } from '../testing/wait-for';
import { startIngestConsumer } from './ingest-consumer';

describe('ingest consumer', () => {
  const world = useTestWorld({ name: 'messaging_ingest' });
  let pool: Pool;
  let topic: string;

  beforeAll(async () => {
    ({ pool } = world);
    await pool.query('create table ingested (source text, id text, type text, customer jsonb, data jsonb)');
    topic = await world.topic('ingest', 2);
  });

  it('handles valid messages once per (source, id) and dead-letters invalid ones with a readable reason', async () => {
    const kafka = world.kafka();
    const record = async (message: IngestMessage, { tx }: { tx: import('pg').PoolClient }) => {
      await tx.query('insert into ingested values ($1, $2, $3, $4, $5)', [message.source, message.id, message.type, message.customer, message.data]);
    };
    const consumer = await startIngestConsumer({
      kafka,
      name: `ingest-${randomUUID()}`,
      pool,
      topic,
      handlers: { OrderPlaced: record, EmailOpened: record, SocialMentioned: record },
    });
    const order = {
      id: 'ord-1',
      type: 'OrderPlaced',
      occurredAt: '2024-05-01T10:00:00Z',
      source: 'shop',
      customer: { externalId: 'cust-77' },
      data: { orderId: '1', lines: [{ sku: 'A', quantity: 1, unitPrice: 3 }], amount: 3, currency: 'EUR' },
    };
    const opened = { id: 'ord-1', type: 'EmailOpened', occurredAt: '2024-05-01T11:00:00Z', source: 'mailer', customer: { email: 'a@example.com' }, data: { messageId: 'm-1' } };
    const mention = { id: 's-1', type: 'SocialMentioned', occurredAt: '2024-05-01T12:00:00Z', source: 'social', customer: { phone: '+331234' }, data: { text: 'hi', network: 'x', url: 'https://x.example/1' } };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        order,
        order, // the shop sent it twice
        opened, // same id, other source: another event
        mention,
        { ...order, id: 'ord-2', data: { ...order.data, currency: 'euros' } },
        { ...order, id: 'ord-3', customer: {} },
        { ...order, id: 'ord-4', type: 'OrderTeleported' },
      ].map((m) => ({ key: m.id, value: JSON.stringify(m) })).concat([{ key: 'x', value: 'not json at all' }]),
    });
    await producer.disconnect();

    const letters = new KafkaDeadLetters(kafka);
    await waitFor(async () => (await letters.list(topic)).length === 4, async () => JSON.stringify(await letters.list(topic)));
    await waitFor(async () => (await pool.query('select 1 from ingested')).rowCount === 3, () => 'ingested rows');
    const { rows } = await pool.query<{ source: string; id: string }>('select source, id from ingested order by source');
    expect(rows).toEqual([
      { source: 'mailer', id: 'ord-1' },
      { source: 'shop', id: 'ord-1' },
      { source: 'social', id: 's-1' },
    ]);
    const reasons = (await letters.list(topic)).map((l) => `${l.code}: ${l.reason}`).sort();
    expect(reasons).toEqual([
      expect.stringMatching(/^invalid_ingest_message: .*customer: customer needs at least one of externalId, email, phone/),
      expect.stringMatching(/^invalid_ingest_message: .*data.currency: currency must be a valid ISO4217 currency code/),
      expect.stringMatching(/^invalid_ingest_message: .*type: type must be one of the following values/),
      expect.stringMatching(/^malformed_message: value is not JSON/),
    ]);
    await consumer.stop();
  });

  it('dead-letters a message whose id or source holds U+0000, with its reason, and handles the others without a busy loop', async () => {
    const kafka = world.kafka();
    const badTopic = uniqueTopicName('ingest-nul');
    await createTestTopics(world.brokers, [badTopic, `${badTopic}.dlq`], 1);
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const consumer = await startIngestConsumer({
      kafka,
      name: `ingest-nul-${randomUUID()}`,
      pool,
      topic: badTopic,
      logger,
      retry: { maxAttempts: 3, backoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 } },
      handlers: {
        EmailOpened: async (message: IngestMessage, { tx }: { tx: import('pg').PoolClient }) => {
          await tx.query('insert into ingested values ($1, $2, $3, $4, $5)', ['nul-test', message.id, message.type, message.customer, message.data]);
        },
      },
    });
    const opened = (id: string, source = 'mailer') => ({
      id,
      type: 'EmailOpened',
      occurredAt: '2024-05-01T11:00:00Z',
      source,
      customer: { email: 'a@example.com' },
      data: { messageId: 'm-1' },
    });
    const producer = kafka.producer();
    await producer.connect();
    // One partition: the bad messages sit between good ones and would hold them back.
    await producer.send({
      topic: badTopic,
      messages: [opened('good-1'), opened('bad\u0000id'), opened('bad-source', 'mail\u0000er'), opened('good-2')].map((m) => ({
        key: 'k',
        value: JSON.stringify(m),
      })),
    });
    await producer.disconnect();

    const handled = async () => (await pool.query<{ id: string }>(`select id from ingested where source = 'nul-test' order by id`)).rows.map((r) => r.id);
    const letters = new KafkaDeadLetters(kafka);
    await waitFor(async () => (await letters.list(badTopic)).length === 2, async () => `dead letters ${JSON.stringify(await letters.list(badTopic))}, warnings ${warnings.length}`, 15_000);
    await waitFor(async () => (await handled()).length === 2, async () => `handled ${JSON.stringify(await handled())}`, 15_000);
    expect(await handled()).toEqual(['good-1', 'good-2']);
    // The contract refuses them when decoding (PostgreSQL would refuse the statement): no tries, the field named.
    expect((await letters.list(badTopic)).map((letter) => letter.reason).sort()).toEqual(['invalid ingest message: id: contains U+0000', 'invalid ingest message: source: contains U+0000']);
    await consumer.stop();
    // Three tries each and a few more as the batch falls back one by one: not thousands.
    expect(warnings.length).toBeLessThan(30);
    await deleteTestTopics(world.brokers, [badTopic, `${badTopic}.dlq`]).catch(() => undefined);
  });
});
