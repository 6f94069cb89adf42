import { randomUUID } from 'node:crypto';
import { Controller, Inject, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { streamId, ValidationError, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { useTestWorld } from '@clientela/testing';
import type { StoredDeadLetter } from '../dead-letters/dead-letter';
import { KafkaDeadLetters } from '../dead-letters/kafka-dead-letters';
import { TableDeadLetters } from '../dead-letters/table-dead-letters';
import { EventHeaders } from '../headers';
import { messagingMetrics } from '../metrics';
import { Relay } from '../relay/relay';
import { applySampleOrder, createSampleReadModel, sampleCatalogue, type SampleOrderData } from '../testing/sample-events';
import { waitFor } from '../testing/wait-for';
import { ClientelaTransport, type ClientelaTransportOptions } from './clientela-transport';
import { MessagingContext } from './messaging-context';
import { MessagingExceptionFilter } from './messaging-exception.filter';

const FAILURES = Symbol('failures');

/** The handler under test: the same class in both modes. */
@Controller()
class OrdersController {
  constructor(@Inject(FAILURES) private readonly failures: Map<string, number>) {}

  @EventPattern('OrderPlaced')
  async onOrderPlaced(@Payload() event: RecordedEvent, @Ctx() ctx: MessagingContext): Promise<void> {
    const { orderId } = event.data as unknown as SampleOrderData;
    if (orderId === 'refused') throw new ValidationError(`order ${orderId} cannot be read`);
    const left = this.failures.get(orderId) ?? 0;
    if (left > 0) {
      this.failures.set(orderId, left - 1);
      throw new Error(`warehouse busy (${orderId})`);
    }
    if (ctx.message.headers[EventHeaders.id] !== event.id) throw new Error('headers do not describe the event');
    await applySampleOrder(ctx.tx, 'nest_orders', event);
  }
}

type Mode = 'standalone' | 'kafka';

describe.each<Mode>(['standalone', 'kafka'])('ClientelaTransport in %s mode', (mode) => {
  const world = useTestWorld({ name: `messaging_nest_${mode}`, store: (pool) => PostgresEventStore.create({ pool, catalogue: sampleCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;
  let app: INestMicroservice;
  let relay: Relay | undefined;
  let deadLetters: () => Promise<StoredDeadLetter[]>;
  const failures = new Map<string, number>();
  const registry = new Registry();
  let topic = '';
  const name = `nest-${mode}-${randomUUID()}`;

  beforeAll(async () => {
    ({ pool, store } = world);
    await createSampleReadModel(pool, 'nest_orders');
    const common = { name, pool, catalogue: sampleCatalogue(), metrics: messagingMetrics(registry), retry: { maxAttempts: 3, backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 } } };
    let options: ClientelaTransportOptions;
    if (mode === 'kafka') {
      topic = await world.topic('nest-sales', 3);
      options = { ...common, bus: 'kafka', kafka: world.kafka(), topics: [topic] };
      relay = new Relay({ store, pool, kafka: world.kafkaConfig(), name, topicOf: () => topic });
      await relay.start();
      const letters = new KafkaDeadLetters(world.kafka());
      deadLetters = () => letters.list(topic, { consumer: name });
    } else {
      options = { ...common, bus: 'standalone', store, redrivePollMs: 50 };
      const letters = new TableDeadLetters(pool);
      deadLetters = () => letters.list({ consumer: name });
    }
    @Module({ controllers: [OrdersController], providers: [{ provide: FAILURES, useValue: failures }] })
    class OrdersModule {}
    app = await NestFactory.createMicroservice(OrdersModule, { strategy: new ClientelaTransport(options), logger: false });
    app.useGlobalFilters(new MessagingExceptionFilter());
    await app.listen();
  });
  // The world runs these before it closes the store and drops the database.
  world.onCleanup(async () => {
    await app?.close();
    await relay?.stop();
  });

  const place = (orderId: string, customerId = 'c-1', seq = 0) =>
    store.append(streamId('order'), [{ type: 'OrderPlaced', data: { customerId, orderId, seq, amount: 2 } }]);
  const rows = async () => (await pool.query<{ order_id: string }>('select order_id from nest_orders order by arrival')).rows.map((r) => r.order_id);

  it('runs the @EventPattern handler once per event, in its transaction', async () => {
    for (let i = 0; i < 20; i++) await place(`o-${i}`, `c-${i % 4}`, Math.floor(i / 4));
    await waitFor(async () => (await rows()).length === 20, async () => `${(await rows()).length} rows`);
    expect(new Set(await rows()).size).toBe(20);
  });

  it('retries a failing handler with backoff and applies the event once it passes', async () => {
    failures.set('flaky', 2);
    await place('flaky');
    await waitFor(async () => (await rows()).includes('flaky'), () => 'flaky not handled');
    expect((await rows()).filter((id) => id === 'flaky')).toHaveLength(1);
    const retries = await registry.getSingleMetric('clientela_messaging_retries_total')?.get();
    expect(retries?.values.find((v) => v.labels.consumer === name)?.value).toBe(2);
  });

  it('dead-letters an event its handler refuses, with the reason, and goes on', async () => {
    await place('refused');
    await place('after-refused');
    await waitFor(async () => (await rows()).includes('after-refused'), () => 'event after the poison not handled');
    await waitFor(async () => (await deadLetters()).length === 1, () => 'no dead letter');
    const [letter] = await deadLetters();
    expect(letter).toEqual(expect.objectContaining({ consumer: name, code: 'validation_failed', reason: 'order refused cannot be read', attempts: 1, eventType: 'OrderPlaced' }));
    expect(await rows()).not.toContain('refused');
  });

  it('dead-letters a handler that keeps throwing after its attempts', async () => {
    failures.set('doomed', 100);
    await place('doomed');
    await waitFor(async () => (await deadLetters()).some((l) => l.reason === 'warehouse busy (doomed)'), () => 'doomed not dead-lettered');
    expect((await deadLetters()).find((l) => l.reason === 'warehouse busy (doomed)')).toEqual(expect.objectContaining({ code: 'handler_failed', attempts: 3 }));
  });

  it('counts handled events, retries and dead letters for Prometheus', async () => {
    const text = await registry.metrics();
    const value = (metric: string, labels: string) => Number(new RegExp(`^${metric}\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    expect(value('clientela_messaging_events_handled_total', `consumer="${name}",type="OrderPlaced"`)).toBe((await rows()).length);
    expect(value('clientela_messaging_dead_letters_total', `consumer="${name}",code="validation_failed"`)).toBe(1);
    expect(value('clientela_messaging_dead_letters_total', `consumer="${name}",code="handler_failed"`)).toBe(1);
    expect(text).toContain(mode === 'kafka' ? 'clientela_messaging_kafka_lag_messages{' : 'clientela_messaging_store_lag_seconds{');
  });
});
