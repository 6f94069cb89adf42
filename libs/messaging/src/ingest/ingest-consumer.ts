import { INGEST_TOPIC, ingestKey, InvalidIngestMessageError, parseIngestMessage, type IngestMessage } from '@clientela/contracts';
import { startKafkaConsumer, type KafkaConsumerSetup, type RunningKafkaConsumer } from '../consumer/create-consumers';
import { PoisonMessageError } from '../errors';
import { parseJson, type MessageDecoder } from '../message';

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

export type IngestConsumerSetup = Omit<KafkaConsumerSetup<IngestMessage>, 'decoder' | 'catalogue' | 'topics'> & {
  /** Default `clientela.ingest.v1`. */
  topic?: string;
};

/** The consuming side of the ingest contract (the contacts service gives the handlers that resolve customers). */
export const startIngestConsumer = (setup: IngestConsumerSetup): Promise<RunningKafkaConsumer<IngestMessage>> =>
  startKafkaConsumer<IngestMessage>({ ...setup, topics: [setup.topic ?? INGEST_TOPIC], decoder: ingestDecoder });
