import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { IngestMessage } from '@clientela/contracts';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { createTestTopics, deleteTestTopics, kafkaBrokersForTest, testKafka, uniqueTopicName } from '../../../testing/src/kafka';
import { KafkaDeadLetters } from '../dead-letters/kafka-dead-letters';
import { waitFor } from '../testing/wait-for';
import { startIngestConsumer } from './ingest-consumer';

describe('ingest consumer', () => {
  let db: TestDatabase;
  let pool: Pool;
  const brokers = kafkaBrokersForTest();
  const topic = uniqueTopicName('ingest');

  beforeAll(async () => {
    db = await createTestDatabase('messaging_ingest');
    pool = db.pool();
    await pool.query('create table ingested (source text, id text, type text, customer jsonb, data jsonb)');
    await createTestTopics(brokers, [topic, `${topic}.dlq`], 2);
  });

  afterAll(async () => {
    await deleteTestTopics(brokers, [topic, `${topic}.dlq`]).catch(() => undefined);
    await db?.drop();
  });

  it('handles valid messages once per (source, id) and dead-letters invalid ones with a readable reason', async () => {
    const kafka = testKafka(brokers);
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
});
