import type { Pool } from 'pg';
import type { ConsumerConfig, Kafka, Producer } from 'kafkajs';
import type { EventCatalogue, RecordedEvent } from '@clientela/contracts';
import type { EventFilter, EventStore, PersonalDataCodec } from '@clientela/event-store';
import type { DeadLetterSink } from '../dead-letters/dead-letter';
import { KafkaDeadLetterSink } from '../dead-letters/kafka-dead-letters';
import { TableDeadLetters } from '../dead-letters/table-dead-letters';
import type { LogSink } from '@clientela/platform';
import { envelopeDecoder, type IncomingMessage, type MessageDecoder } from '../message';
import type { MessagingMetrics } from '../metrics';
import { durableProducer } from '../durable-producer';
import { migrateMessaging } from '../schema';
import { KafkaEventConsumer } from './kafka-consumer';
import { MessageProcessor, type BatchHandler, type MessageHandler, type RetryPolicy } from './message-processor';
import { StoreEventConsumer } from './store-consumer';

/** Handlers by message type; several per type run in order, in the same transaction. */
export type HandlerMap<T> = Readonly<Record<string, MessageHandler<T> | readonly MessageHandler<T>[]>>;

export const handlerLookup =
  <T>(handlers: HandlerMap<T>) =>
  (type: string): readonly MessageHandler<T>[] => {
    if (!Object.hasOwn(handlers, type)) return [];
    const found = handlers[type];
    return typeof found === 'function' ? [found] : found;
  };

interface CommonConsumerOptions<T> {
  /** The consumer's name (and Kafka group id): its idempotency record and dead letters are kept under it. */
  name: string;
  pool: Pool;
  /** Per-type handlers, a call per message. Either this or `batchHandler`. */
  handlers?: HandlerMap<T> | ((type: string) => readonly MessageHandler<T>[]);
  /** One call per batch with its new messages (one statement per table, say). Either this or `handlers`. */
  batchHandler?: BatchHandler<T>;
  /** The types the batch handler takes (default: every type). */
  batchTypes?: readonly string[];
  retry?: Partial<RetryPolicy>;
  batchSize?: number;
  schema?: string;
  metrics?: MessagingMetrics;
  logger?: LogSink;
  afterCommit?: (handled: readonly T[]) => void;
  /** Default: relayed event envelopes, checked against `catalogue`. */
  decoder?: MessageDecoder<T>;
  catalogue?: EventCatalogue;
  /** Opens the personal fields of relayed events (sealed as stored) for the default decoder. */
  personalData?: PersonalDataCodec;
  /**
   * What a dead letter keeps of a message that arrived in clear (ingest): without it, the letter
   * keeps the message as it came. Relayed events need none: they travel sealed.
   */
  redactDeadLetter?: (message: IncomingMessage) => IncomingMessage;
}

export interface KafkaConsumerSetup<T = RecordedEvent> extends CommonConsumerOptions<T> {
  kafka: Kafka;
  topics: readonly string[];
  partitionsConsumedConcurrently?: number;
  /** kafkajs consumer settings (session timeout, heartbeat...). */
  consumerConfig?: Partial<ConsumerConfig>;
}

export interface RunningKafkaConsumer<T> {
  consumer: KafkaEventConsumer<T>;
  processor: MessageProcessor<T>;
  stop(): Promise<void>;
}

const lookupOf = <T>(handlers: CommonConsumerOptions<T>['handlers']) =>
  handlers === undefined ? undefined : typeof handlers === 'function' ? handlers : handlerLookup(handlers);

const redactingSink = (sink: DeadLetterSink, redact: (message: IncomingMessage) => IncomingMessage): DeadLetterSink => ({
  write: (letter, tx) => sink.write({ ...letter, message: redact(letter.message) }, tx),
});

/** The one way both consumers build their processor: what differs is where dead letters go. */
const processorOf = <T>(setup: CommonConsumerOptions<T>, deadLetters: DeadLetterSink, signal: AbortSignal): MessageProcessor<T> =>
  new MessageProcessor<T>({
    consumer: setup.name,
    pool: setup.pool,
    decoder: setup.decoder ?? (envelopeDecoder(setup.catalogue, setup.personalData) as unknown as MessageDecoder<T>),
    handlersFor: lookupOf(setup.handlers),
    batchHandler: setup.batchHandler,
    batchTypes: setup.batchTypes,
    deadLetters: setup.redactDeadLetter ? redactingSink(deadLetters, setup.redactDeadLetter) : deadLetters,
    retry: setup.retry,
    schema: setup.schema,
    metrics: setup.metrics,
    logger: setup.logger,
    signal,
    afterCommit: setup.afterCommit,
  });

/** A consumer-group member with idempotent handling and `<topic>.dlq` dead letters, started. */
export const startKafkaConsumer = async <T = RecordedEvent>(setup: KafkaConsumerSetup<T>): Promise<RunningKafkaConsumer<T>> => {
  await migrateMessaging(setup.pool, setup.schema);
  const abort = new AbortController();
  const producer: Producer = durableProducer(setup.kafka);
  await producer.connect();
  const processor = processorOf(setup, new KafkaDeadLetterSink(producer), abort.signal);
  const consumer = new KafkaEventConsumer<T>({
    kafka: setup.kafka,
    groupId: setup.name,
    topics: setup.topics,
    processor,
    maxBatchSize: setup.batchSize,
    partitionsConsumedConcurrently: setup.partitionsConsumedConcurrently,
    consumerConfig: setup.consumerConfig,
    metrics: setup.metrics,
    logger: setup.logger,
  });
  await consumer.start();
  return {
    consumer,
    processor,
    async stop() {
      abort.abort();
      await consumer.stop();
      await producer.disconnect().catch(() => undefined);
    },
  };
};

export interface StoreConsumerSetup<T = RecordedEvent> extends CommonConsumerOptions<T> {
  store: EventStore;
  filter?: EventFilter;
  redrivePollMs?: number;
  /** How often a standby instance of this name tries to take over. Default 1000 ms. */
  takeoverIntervalMs?: number;
}

/** Standalone mode: the same handling, fed by an event-store subscription, dead letters in a table. */
export const startStoreConsumer = async <T = RecordedEvent>(setup: StoreConsumerSetup<T>) => {
  await migrateMessaging(setup.pool, setup.schema);
  const abort = new AbortController();
  const deadLetters = new TableDeadLetters(setup.pool, setup.schema);
  const processor = processorOf(setup, deadLetters, abort.signal);
  const consumer = new StoreEventConsumer<T>({
    store: setup.store,
    pool: setup.pool,
    processor,
    deadLetters,
    filter: setup.filter,
    batchSize: setup.batchSize,
    redrivePollMs: setup.redrivePollMs,
    takeoverIntervalMs: setup.takeoverIntervalMs,
    // With a catalogue the decoder upcasts and checks each event, so one it cannot read is dead-lettered.
    raw: setup.catalogue !== undefined && setup.decoder === undefined,
    schema: setup.schema,
    metrics: setup.metrics,
    logger: setup.logger,
  });
  await consumer.start();
  return {
    consumer,
    processor,
    deadLetters,
    async stop() {
      abort.abort();
      await consumer.stop();
    },
  };
};
