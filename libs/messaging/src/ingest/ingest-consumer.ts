import { createHash } from 'node:crypto';
import { INGEST_TOPIC, ingestKey, IngestPayloads, InvalidIngestMessageError, parseIngestMessage, personalFieldsOf, type IngestMessage } from '@clientela/contracts';
import { startKafkaConsumer, type KafkaConsumerSetup, type RunningKafkaConsumer } from '../consumer/create-consumers';
import { PoisonMessageError } from '../errors';
import { parseJson, type IncomingMessage, type MessageDecoder } from '../message';

/**
 * Decoder of `clientela.ingest.v1`: JSON, then the ingest contract. Keyed by (source, id), so a
 * message sent twice by its source is handled once; anything invalid is dead-lettered with the violations.
 */
export const ingestDecoder: MessageDecoder<IngestMessage> = (message) => {
  try {
    const parsed = parseIngestMessage(parseJson(message.value));
    return { key: `ingest:${ingestKey(parsed)}`, type: parsed.type, payload: parsed };
  } catch (error) {
    if (error instanceof InvalidIngestMessageError) throw new PoisonMessageError(error.code, error.message);
    throw error;
  }
};

/** What a personal value of an ingest dead letter reads as. */
export const REDACTED = '[redacted]';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An ingest message as its dead letter keeps it: the systems that send events write them in clear,
 * and a dead letter outlives an erasure (Kafka keeps it), so its personal values are replaced: the
 * customer's identifiers, the fields the contract marks personal, all of `data` when the type is
 * unknown, the whole value when it is not a JSON object; the key (a customer identifier, often) is
 * hashed. The id, type, source, time and the rest stay, with the reason, to say what went wrong;
 * the sender sends the message again once it is fixed (none of the reasons an ingest message is
 * dead-lettered for goes away by sending the same one again).
 */
export const redactIngestMessage = (message: IncomingMessage): IncomingMessage => {
  let redacted: unknown = REDACTED;
  try {
    const parsed: unknown = JSON.parse(message.value);
    if (isObject(parsed)) {
      const copy: Record<string, unknown> = { ...parsed };
      if (copy.customer !== undefined) copy.customer = isObject(copy.customer) ? Object.fromEntries(Object.keys(copy.customer).map((k) => [k, REDACTED])) : REDACTED;
      const payload = typeof copy.type === 'string' && Object.hasOwn(IngestPayloads, copy.type) ? IngestPayloads[copy.type as keyof typeof IngestPayloads] : undefined;
      if (payload && isObject(copy.data)) {
        const data: Record<string, unknown> = { ...copy.data };
        for (const field of personalFieldsOf(payload)) if (data[field] !== undefined && data[field] !== null) data[field] = REDACTED;
        copy.data = data;
      } else if (copy.data !== undefined) copy.data = REDACTED;
      redacted = copy;
    }
  } catch {
    // Not JSON: nothing in it can be told apart, so none of it is kept.
  }
  return { ...message, value: JSON.stringify(redacted), ...(message.key !== undefined ? { key: createHash('sha256').update(message.key).digest('hex') } : {}) };
};

export type IngestConsumerSetup = Omit<KafkaConsumerSetup<IngestMessage>, 'decoder' | 'catalogue' | 'topics'> & {
  /** Default `clientela.ingest.v1`. */
  topic?: string;
};

/** The consuming side of the ingest contract (the contacts service gives the handlers that resolve customers). */
export const startIngestConsumer = (setup: IngestConsumerSetup): Promise<RunningKafkaConsumer<IngestMessage>> =>
  startKafkaConsumer<IngestMessage>({ ...setup, topics: [setup.topic ?? INGEST_TOPIC], decoder: ingestDecoder, redactDeadLetter: redactIngestMessage });
