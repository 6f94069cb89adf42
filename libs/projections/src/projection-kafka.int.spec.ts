import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId, type Position } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { KafkaDeadLetters, Relay } from '@clientela/messaging';
import { useTestWorld } from '@clientela/testing';
import { waitUntilReadable } from '@clientela/event-store/testing';
import { ProjectionRunner } from './projection-runner';
import { defineProjection, schemaOf, type RowProjection } from './projection';
import { customerRevenueProjection, ordersCatalogue, placedOrder, orderHistory } from './testing/sample-orders';
import { projectInMemory, type GivenEvent } from './testing/projection-spec';
import { asReadRow, readRows, waitForCheckpoint } from './testing/read-model';

describe('the same projection from Kafka', () => {
  const world = useTestWorld({ name: 'projections_kafka', pool: { max: 20 }, store: (pool) => PostgresEventStore.create({ pool, catalogue: ordersCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(() => {
    ({ pool, store } = world);
  });

  /** A category of its own, a topic (and its dead letters) of its own, and a relay publishing the category there. */
  const setup = async (partitions = 3) => {
    const category = `order${randomUUID().slice(0, 8)}`;
    const topic = await world.topic('projection', partitions);
    const relayName = `relay_${randomUUID().slice(0, 8)}`;
    const relay = new Relay({ store, pool, kafka: world.kafkaConfig(), name: relayName, categories: { [category]: 'sales' }, topicOf: () => topic, batchSize: 200 });
    await relay.start();
    world.onCleanup(() => relay.stop());
    const append = async (events: readonly GivenEvent[]): Promise<Position> => {
      let last: Position = 0n;
      for (let i = 0; i < events.length; i += 50) {
        const result = await store.append(streamId(category), events.slice(i, i + 50).map((e) => ({ type: e.type, data: e.data as Record<string, unknown> })));
        last = result.position;
      }
      return last;
    };
    const kafkaRunner = (projection: RowProjection, batchSize = 200) => {
      const runner = new ProjectionRunner({
        projection,
        store,
        pool,
        batchSize,
        source: { kind: 'kafka', kafka: world.kafka(), topics: [topic], relayName, catalogue: ordersCatalogue(), watermarkIntervalMs: 100 },
      });
      world.onCleanup(() => runner.stop());
      return runner;
    };
    return { category, topic, relay, append, kafkaRunner };
  };

  it('ends with the rows projectInMemory gives, and the same rows as the store-driven runner', async () => {
    const { category, append, kafkaRunner } = await setup();
    const events = orderHistory(1_200, 40);
    const projection = customerRevenueProjection({ name: `kafka_${randomUUID().slice(0, 8)}`, categories: [category] });
    const fromStore = customerRevenueProjection({ name: `store_${randomUUID().slice(0, 8)}`, categories: [category] });
    const first = await append(events.slice(0, 500));

    const kafka = kafkaRunner(projection);
    const store_ = new ProjectionRunner({ projection: fromStore, store, pool, batchSize: 200 });
    world.onCleanup(() => store_.stop());
    await kafka.start();
    await store_.start();
    expect(kafka.isActive).toBe(true);
    // A new copy is built from the store first; the position reaches `first` once it is swapped in.
    await waitForCheckpoint(pool, projection.name, first, 45_000);

    // The rest arrives while both follow: from Kafka for one, from the store for the other.
    const last = await append(events.slice(500));
    await waitForCheckpoint(pool, projection.name, last, 45_000);
    await waitForCheckpoint(pool, fromStore.name, last, 45_000);

    const expected = projectInMemory(projection, events).customer_revenue.map(asReadRow);
    const fromKafkaRows = await readRows(pool, projection, 'customer_revenue');
    expect(fromKafkaRows).toEqual(expected);
    expect(await readRows(pool, fromStore, 'customer_revenue')).toEqual(fromKafkaRows);
    const { rows } = await pool.query<{ status: string; swap_position: string }>(
      `select status, swap_position::text from projections.state where name = $1`,
      [projection.name],
    );
    expect(rows[0].status).toBe('live');
    // The events after the first build came through Kafka: the consumer recorded them as handled.
    const { rows: handled } = await pool.query<{ n: string }>(`select count(*)::text as n from messaging.handled_events where consumer = $1`, [
      projection.name,
    ]);
    expect(Number(handled[0].n)).toBeGreaterThanOrEqual(700);
    expect(BigInt(rows[0].swap_position)).toBeLessThan(last);
  });

  it('read-your-writes: after an append and its publication, the registry position reaches the append', async () => {
    const { category, relay, append, kafkaRunner } = await setup(2);
    const projection = customerRevenueProjection({ name: `ryw_${randomUUID().slice(0, 8)}`, categories: [category] });
    const runner = kafkaRunner(projection);
    await runner.start();
    // The first copy is built from the store; wait until the runner follows Kafka, so that what follows can only come through it.
    const deadline = Date.now() + 30_000;
    while (runner.status !== 'live') {
      if (Date.now() > deadline) throw new Error(`runner not live: ${runner.status}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let round = 0; round < 5; round++) {
      const customer = `ryw${round}`;
      const position = await append([placedOrder(customer, 10 + round, round)]);
      await waitForCheckpoint(pool, projection.name, position, 30_000);
      // The position means the event is applied: the row is there as soon as the position says so.
      const { rows } = await pool.query<{ orders: string }>(`select orders::text from ${schemaOf(projection)}.customer_revenue where customer_id = $1`, [
        customer,
      ]);
      expect(rows).toEqual([{ orders: '1' }]);
      expect(relay.checkpoint >= position).toBe(true);
    }
  });

  it('parks a poison event read from the store in its build, dead-letters one read from Kafka with its reason, and handles the rest', async () => {
    const { category, topic, append, kafkaRunner } = await setup(2);
    const base = customerRevenueProjection({ name: `poison_${randomUUID().slice(0, 8)}`, categories: [category] });
    let poisonTries = 0;
    const projection = defineProjection<RowProjection>({
      ...base,
      project: (event) => {
        if ((event.data as { customerId: string }).customerId.startsWith('poison')) {
          poisonTries++;
          throw new Error('cannot read this order');
        }
        return base.project(event);
      },
    });
    // Readable before the runner starts, so that its first build reads these from the store.
    await waitUntilReadable(store, await append([placedOrder('a', 1, 1), placedOrder('poison-built', 2, 2), placedOrder('b', 3, 3)]));
    const runner = kafkaRunner(projection, 50);
    await runner.start();
    const deadline = Date.now() + 30_000;
    while (runner.status !== 'live') {
      if (Date.now() > deadline) throw new Error(`runner not live: ${runner.status}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const last = await append([placedOrder('c', 4, 4), placedOrder('poison-live', 5, 5), placedOrder('d', 6, 6)]);
    await waitForCheckpoint(pool, projection.name, last, 30_000);

    const rows = await readRows(pool, projection, 'customer_revenue');
    expect(rows.map((row) => row.customer_id)).toEqual(['a', 'b', 'c', 'd']);
    const { rows: parked } = await pool.query(`select reason, event from projections.dead_letters where projection = $1`, [projection.name]);
    expect(parked.map((row) => [row.event.data.customerId, row.reason])).toEqual([['poison-built', 'cannot read this order']]);
    const letters = await new KafkaDeadLetters(world.kafka()).list(topic, { consumer: projection.name });
    expect(letters.map((letter) => [JSON.parse(letter.value).data.customerId, letter.code])).toEqual([['poison-live', 'handler_failed']]);
    expect(letters[0].reason).toContain('cannot read this order');
    expect(poisonTries).toBeLessThanOrEqual(12); // bounded retries, no busy loop
  });
});
