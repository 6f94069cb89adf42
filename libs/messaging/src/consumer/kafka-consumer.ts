import type { Batch, Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import { backoffDelay, DEFAULT_BACKOFF, sleep } from '@clientela/postgres';
import { decodeHeaders } from '../headers';
import { errorMessage, silentLogger, type LogSink } from '@clientela/platform';
import type { IncomingMessage } from '../message';
import { messagingMetrics, type MessagingMetrics } from '../metrics';
import type { MessageProcessor } from './message-processor';

export interface KafkaEventConsumerOptions<T> {
  kafka: Kafka;
  /** The consumer group; members of one group share the partitions. */
  groupId: string;
  topics: readonly string[];
  processor: MessageProcessor<T>;
  /** Messages per transaction; a fetched batch is cut into chunks of this size. Default 500. */
  maxBatchSize?: number;
  /** Partitions handled at once by this member; order is kept within each. Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Where a new group starts. Default true: from the beginning. */
  fromBeginning?: boolean;
  consumerConfig?: Partial<ConsumerConfig>;
  metrics?: MessagingMetrics;
  logger?: LogSink;
}

/**
 * A member of a Kafka consumer group that hands each fetched batch to a MessageProcessor and
 * commits offsets only after the batch's transaction committed. A crash in between redelivers
 * the batch, which the processor's idempotency record absorbs.
 */
export class KafkaEventConsumer<T> {
  private consumer: Consumer | undefined;
  private readonly abort = new AbortController();
  private readonly metrics: MessagingMetrics;
  private readonly logger: LogSink;
  private assigned: Array<{ topic: string; partitions: number[] }> = [];
  /** Batches in a row left unfinished, per partition: how long to wait before the next try. */
  private readonly unfinished = new Map<string, number>();

  constructor(private readonly options: KafkaEventConsumerOptions<T>) {
    this.metrics = options.metrics ?? messagingMetrics();
    this.logger = options.logger ?? silentLogger;
  }

  /** Partitions this member holds now. */
  assignment(): Array<{ topic: string; partitions: number[] }> {
    return this.assigned;
  }

  async start(): Promise<void> {
    this.consumer = await this.connectAndRun();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private async connectAndRun(): Promise<Consumer> {
    const { kafka, groupId, topics } = this.options;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, ...this.options.consumerConfig });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.assigned = Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions }));
      this.logger.info('joined consumer group', { groupId, assignment: event.payload.memberAssignment });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const error = errorMessage(event.payload.error);
      if (event.payload.restart) {
        this.logger.error('Kafka consumer crashed; kafkajs restarts it', { groupId, error });
        return;
      }
      // kafkajs gives up on errors it calls non-retriable, such as no group coordinator while a
      // broker restarts; the consumer would stay down for good. A new one is started instead.
      this.logger.error('Kafka consumer crashed and kafkajs gave up; starting a new one', { groupId, error });
      void this.replace(consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics], fromBeginning: this.options.fromBeginning ?? true });
      await consumer.run({
        eachBatchAutoResolve: false,
        autoCommitInterval: 1_000,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    return consumer;
  }

  /** Replaces a consumer that kafkajs will not restart, with backoff, until one runs or this member stops. */
  private async replace(crashed: Consumer): Promise<void> {
    await crashed.disconnect().catch(() => undefined);
    for (let attempt = 1; !this.abort.signal.aborted && this.consumer === crashed; attempt++) {
      await sleep(backoffDelay(attempt, { ...DEFAULT_BACKOFF, initialMs: 500 }), this.abort.signal);
      if (this.abort.signal.aborted) return;
      try {
        const replacement = await this.connectAndRun();
        if (this.abort.signal.aborted) {
          await replacement.disconnect().catch(() => undefined);
          return;
        }
        this.consumer = replacement;
        this.logger.info('Kafka consumer started again', { groupId: this.options.groupId, attempts: attempt });
      } catch (error) {
        this.logger.warn('Kafka consumer could not start again; retrying', { groupId: this.options.groupId, attempt, error: errorMessage(error) });
      }
    }
  }

  private async eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: {
    batch: Batch;
    resolveOffset: (offset: string) => void;
    heartbeat: () => Promise<void>;
    commitOffsetsIfNecessary: () => Promise<void>;
    isRunning: () => boolean;
    isStale: () => boolean;
  }): Promise<void> {
    const size = this.options.maxBatchSize ?? 500;
    const partitionKey = `${batch.topic}:${batch.partition}`;
    const messages = batch.messages;
    for (let start = 0; start < messages.length; start += size) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(start, start + size);
      const incoming: IncomingMessage[] = chunk.map((message) => ({
        origin: { kind: 'kafka', topic: batch.topic, partition: batch.partition, offset: message.offset },
        key: message.key?.toString('utf8'),
        headers: decodeHeaders(message.headers),
        value: message.value?.toString('utf8') ?? '',
      }));
      try {
        await this.options.processor.processUntilDone(incoming, {
          isRunning: () => isRunning() && !isStale() && !this.abort.signal.aborted,
          whileWaiting: heartbeat,
        });
      } catch (error) {
        // Stopping, or the partition moved to another member while PostgreSQL was away: leave it uncommitted.
        // kafkajs fetches the unresolved messages again at once, so wait first: no busy loop on a batch that keeps failing.
        const failures = (this.unfinished.get(partitionKey) ?? 0) + 1;
        this.unfinished.set(partitionKey, failures);
        this.logger.warn('batch left unfinished', { groupId: this.options.groupId, failures, error: errorMessage(error) });
        if (isRunning() && !isStale()) await sleep(backoffDelay(failures, DEFAULT_BACKOFF), this.abort.signal);
        return;
      }
      this.unfinished.delete(partitionKey);
      resolveOffset(chunk[chunk.length - 1].offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    const lag = batch.isEmpty() ? 0 : Number(BigInt(batch.highWatermark) - 1n - BigInt(batch.lastOffset()));
    this.metrics.kafkaLag.set({ consumer: this.options.processor.consumer, topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
  }
}
