import { Server, type CustomTransportStrategy, type MessageHandler as NestMessageHandler } from '@nestjs/microservices';
import type { Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import type { EventCatalogue, RecordedEvent } from '@clientela/contracts';
import type { EventFilter, EventStore, PersonalDataCodec } from '@clientela/event-store';
import { startKafkaConsumer, startStoreConsumer } from '../consumer/create-consumers';
import type { HandlerContext, MessageHandler, RetryPolicy } from '../consumer/message-processor';
import type { ComponentHealth } from '../health';
import type { LogSink } from '@clientela/platform';
import type { MessageDecoder } from '../message';
import type { MessagingMetrics } from '../metrics';
import { MessagingContext } from './messaging-context';

interface CommonTransportOptions {
  /** The consumer's name (the Kafka group id): its idempotency record and dead letters are kept under it. */
  name: string;
  /** Where handlers write their read models, and where the consumer records what it handled. */
  pool: Pool;
  catalogue?: EventCatalogue;
  /** Opens the personal fields of events read as stored (sealed). */
  personalData?: PersonalDataCodec;
  retry?: Partial<RetryPolicy>;
  batchSize?: number;
  metrics?: MessagingMetrics;
  logger?: LogSink;
  schema?: string;
}

/** Kafka mode: a member of the consumer group `name` on the given topics. */
export interface KafkaTransportOptions extends CommonTransportOptions {
  bus: 'kafka';
  kafka: Kafka;
  topics: readonly string[];
  partitionsConsumedConcurrently?: number;
  /** Default: relayed event envelopes. */
  decoder?: MessageDecoder<unknown>;
}

/** Standalone mode: an event-store subscription, dead letters in PostgreSQL. */
export interface StandaloneTransportOptions extends CommonTransportOptions {
  bus: 'standalone';
  store: EventStore;
  filter?: EventFilter;
  redrivePollMs?: number;
}

export type ClientelaTransportOptions = KafkaTransportOptions | StandaloneTransportOptions;

/**
 * The one transport of Clientela's `@EventPattern(type)` handlers: from a Kafka consumer group or from
 * an event-store subscription, chosen by `bus`. Handlers are the same in both modes; each runs inside
 * the transaction that records its event as handled (`@Ctx() ctx: MessagingContext`, `ctx.tx`).
 */
export class ClientelaTransport extends Server implements CustomTransportStrategy {
  private stopConsumer: (() => Promise<void>) | undefined;
  private healthOf: (() => ComponentHealth) | undefined;

  constructor(private readonly options: ClientelaTransportOptions) {
    super();
  }

  /** Whether the consumer reaches PostgreSQL (readiness). */
  health(): ComponentHealth {
    return this.healthOf?.() ?? { name: `consumer ${this.options.name}`, status: 'down', error: 'not listening' };
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    this.start()
      .then(() => callback())
      .catch((error: unknown) => callback(error));
  }

  async close(): Promise<void> {
    await this.stopConsumer?.();
    this.stopConsumer = undefined;
  }

  on(): never {
    throw new TypeError('ClientelaTransport has no events to listen to; use health() and the metrics');
  }

  unwrap<T>(): T {
    throw new TypeError('ClientelaTransport does not expose its client');
  }

  private async start(): Promise<void> {
    const handlersFor = (type: string): readonly MessageHandler<unknown>[] => {
      const handler = this.getHandlerByPattern(type);
      return handler?.isEventHandler ? [this.invoker(handler)] : [];
    };
    const common = {
      name: this.options.name,
      pool: this.options.pool,
      handlers: handlersFor,
      catalogue: this.options.catalogue,
      personalData: this.options.personalData,
      retry: this.options.retry,
      batchSize: this.options.batchSize,
      metrics: this.options.metrics,
      logger: this.options.logger,
      schema: this.options.schema,
    };
    if (this.options.bus === 'kafka') {
      const running = await startKafkaConsumer<unknown>({
        ...common,
        kafka: this.options.kafka,
        topics: this.options.topics,
        decoder: this.options.decoder,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      });
      this.stopConsumer = () => running.stop();
      this.healthOf = () => running.processor.healthStatus();
    } else {
      const running = await startStoreConsumer<RecordedEvent>({
        ...common,
        handlers: handlersFor as (type: string) => readonly MessageHandler<RecordedEvent>[],
        store: this.options.store,
        filter: this.handledTypesOnly(this.options.filter),
        redrivePollMs: this.options.redrivePollMs,
      });
      this.stopConsumer = () => running.stop();
      this.healthOf = () => running.processor.healthStatus();
    }
  }

  /**
   * A category filter narrowed to the types some handler takes: a service that reacts to one event
   * of a busy category (sales to ContactErased) would otherwise read, and open, every event of it.
   */
  private handledTypesOnly(filter: EventFilter | undefined): EventFilter | undefined {
    const types = [...this.messageHandlers.entries()].filter(([, handler]) => handler.isEventHandler).map(([pattern]) => pattern);
    return filter?.categories && !filter.eventTypes && types.length > 0 ? { ...filter, eventTypes: types } : filter;
  }

  /** Calls a Nest handler and waits for all it does, so its error (or success) decides the transaction. */
  private invoker(handler: NestMessageHandler): MessageHandler<unknown> {
    return async (payload: unknown, context: HandlerContext) => {
      const result: unknown = await handler(payload, new MessagingContext(context));
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    };
  }
}
