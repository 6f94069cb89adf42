import { deadLetterTopic } from '@clientela/contracts';
import type { Kafka, Producer } from 'kafkajs';
import { durableProducer } from '../durable-producer';
import { DeadLetterHeaders, decodeHeaders } from '../headers';
import type { MessageOrigin } from '../message';
import type { DeadLetter, DeadLetterSink, StoredDeadLetter } from './dead-letter';

/** Writes dead letters to `<topic>.dlq`: the original key, value and headers, plus why and who gave up. */
export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(private readonly producer: Producer) {}

  async write(letter: DeadLetter): Promise<void> {
    const { origin } = letter.message;
    if (origin.kind !== 'kafka') throw new TypeError('KafkaDeadLetterSink takes messages read from Kafka');
    await this.producer.send({
      topic: deadLetterTopic(origin.topic),
      acks: -1,
      messages: [
        {
          key: letter.message.key ?? null,
          value: letter.message.value,
          headers: {
            ...letter.message.headers,
            [DeadLetterHeaders.reason]: letter.reason,
            [DeadLetterHeaders.code]: letter.code,
            [DeadLetterHeaders.consumer]: letter.consumer,
            [DeadLetterHeaders.attempts]: String(letter.attempts),
            [DeadLetterHeaders.failedAt]: letter.failedAt.toISOString(),
            [DeadLetterHeaders.topic]: origin.topic,
            [DeadLetterHeaders.partition]: String(origin.partition),
            [DeadLetterHeaders.offset]: origin.offset,
          },
        },
      ],
    });
  }
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DeadLetterHeaders));

/**
 * Lists and re-drives the dead letters of a Kafka topic. Listing reads `<topic>.dlq` from the start to
 * its current end; re-driving puts the original message back on its topic, where the consumer group
 * handles it again (its idempotency record makes a second delivery harmless), then writes a marker
 * naming the letter into the DLQ (Kafka cannot delete the letter): a letter with a marker is closed,
 * so that each re-drive sends only what no earlier one sent. A re-drive that dies between the two
 * sends may send a letter again, which the idempotency record absorbs.
 */
export class KafkaDeadLetters {
  constructor(private readonly kafka: Kafka) {}

  /** The open dead letters of `topic` (with `includeRedriven`, also those re-driven, marked so). */
  async list(topic: string, filter: { consumer?: string; includeRedriven?: boolean } = {}): Promise<StoredDeadLetter[]> {
    const dlq = deadLetterTopic(topic);
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Array<{ partition: number; high: string; low: string }>;
    try {
      ends = await admin.fetchTopicOffsets(dlq);
    } finally {
      await admin.disconnect();
    }
    const wanted = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
    if (wanted.size === 0) return [];
    const letters: StoredDeadLetter[] = [];
    const closed = new Set<string>();
    // No group: a listing must not move anyone's offsets.
    const consumer = this.kafka.consumer({ groupId: `clientela-dlq-list-${Date.now()}-${Math.random().toString(16).slice(2)}` });
    await consumer.connect();
    try {
      await new Promise<void>((resolve, reject) => {
        consumer
          .subscribe({ topic: dlq, fromBeginning: true })
          .then(() =>
            consumer.run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                const end = wanted.get(partition);
                if (end === undefined) return;
                const headers = decodeHeaders(message.headers);
                const marks = headers[DeadLetterHeaders.redriven];
                if (marks !== undefined) closed.add(marks);
                else if (!filter.consumer || headers[DeadLetterHeaders.consumer] === filter.consumer) {
                  letters.push(toStored(dlq, partition, message.offset, message.key?.toString('utf8'), headers, message.value?.toString('utf8') ?? ''));
                }
                if (BigInt(message.offset) + 1n >= end) wanted.delete(partition);
                if (wanted.size === 0) resolve();
              },
            }),
          )
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return letters
      .map((letter) => (closed.has(letter.id) ? { ...letter, redriven: true } : letter))
      .filter((letter) => filter.includeRedriven || !letter.redriven)
      .sort((a, b) => a.failedAt.localeCompare(b.failedAt) || a.id.localeCompare(b.id));
  }

  /**
   * Puts the selected open dead letters (all of the topic's when no ids) back on their original topic,
   * and closes them. Resolves to how many were sent.
   */
  async redrive(topic: string, selection: { ids?: readonly string[]; consumer?: string } = {}): Promise<number> {
    const letters = (await this.list(topic, { consumer: selection.consumer })).filter(
      (letter) => !selection.ids || selection.ids.includes(letter.id),
    );
    if (letters.length === 0) return 0;
    const producer = durableProducer(this.kafka);
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: letters.map((letter) => ({
          key: letter.key ?? null,
          value: letter.value,
          headers: {
            ...Object.fromEntries(Object.entries(letter.headers).filter(([name]) => !DLQ_HEADER_NAMES.has(name))),
            [DeadLetterHeaders.redrivenFrom]: letter.id,
          },
        })),
      });
      // Each marker goes to its letter's partition, after it: a listing that reads the letter reads its marker.
      await producer.send({
        topic: deadLetterTopic(topic),
        acks: -1,
        messages: letters.map((letter) => ({
          partition: partitionOf(letter.id),
          key: null,
          value: null,
          headers: { [DeadLetterHeaders.redriven]: letter.id },
        })),
      });
    } finally {
      await producer.disconnect();
    }
    return letters.length;
  }
}

/** The DLQ partition in a letter's id, `<dlq topic>:<partition>:<offset>`. */
const partitionOf = (id: string): number => Number(id.split(':').at(-2));

const toStored = (
  dlq: string,
  partition: number,
  offset: string,
  key: string | undefined,
  headers: Record<string, string>,
  value: string,
): StoredDeadLetter => {
  const origin: MessageOrigin = {
    kind: 'kafka',
    topic: headers[DeadLetterHeaders.topic] ?? '',
    partition: Number(headers[DeadLetterHeaders.partition] ?? -1),
    offset: headers[DeadLetterHeaders.offset] ?? '',
  };
  return {
    id: `${dlq}:${partition}:${offset}`,
    consumer: headers[DeadLetterHeaders.consumer] ?? '',
    code: headers[DeadLetterHeaders.code] ?? '',
    reason: headers[DeadLetterHeaders.reason] ?? '',
    attempts: Number(headers[DeadLetterHeaders.attempts] ?? 0),
    failedAt: headers[DeadLetterHeaders.failedAt] ?? '',
    eventKey: headers['clientela-id'],
    eventType: headers['clientela-type'],
    origin,
    key,
    headers,
    value,
  };
};
