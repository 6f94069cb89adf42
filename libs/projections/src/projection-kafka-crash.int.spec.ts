import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PostgresEventStore } from '@clientela/event-store';
import { Relay } from '@clientela/messaging';
import { killSurvivors, useTestWorld } from '@clientela/testing';
import { schemaOf } from './projection';
import { ProjectionRunner } from './projection-runner';
import { appendSampleOrders, customerRevenueProjection, ordersCatalogue } from './testing/sample-orders';
import { cleanRebuildRows, readRows, waitForCheckpoint } from './testing/read-model';
import { holdSwap, isMidBatch, pollUntil, positionHeld, readRegistryRow } from './testing/kill-moments';
import { spawnProjectionProcess, type ProjectionProcess } from './testing/spawn-projection-process';

/**
 * A runner that follows Kafka builds its first copy from the store. Killed during that build, with the
 * topic already trimmed by retention, or away while retention deleted what its group had not read, it
 * must build again from the store when it comes back: what the topic no longer holds is nowhere else.
 */
describe('a Kafka-source runner and what retention deleted', () => {
  const world = useTestWorld({ name: 'projections_kafka_crash', pool: { max: 8 }, store: (pool) => PostgresEventStore.create({ pool, catalogue: ordersCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;
  const children: ProjectionProcess[] = [];

  beforeAll(() => {
    ({ pool, store } = world);
  });
  afterEach(() => killSurvivors(children));

  /** Deletes every record the topic holds, as retention would once they are old enough. */
  const trimTopic = async (topic: string) => {
    const admin = world.kafka().admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.deleteTopicRecords({ topic, partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })) });
    } finally {
      await admin.disconnect();
    }
  };

  /** The state of the runner's consumer group: a runner whose group is `Stable` follows Kafka. */
  const groupState = async (groupId: string) => {
    const admin = world.kafka().admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([groupId]);
      return `${groups[0]?.state ?? 'unknown'} with ${groups[0]?.members.length ?? 0} members`;
    } finally {
      await admin.disconnect();
    }
  };

  /** A category of its own, published by a relay of its own to a topic of its own. */
  const relayedCategory = async () => {
    const category = `order${randomUUID().slice(0, 8)}`;
    const topic = await world.topic('projection-retention', 3);
    const relayName = `relay_${randomUUID().slice(0, 8)}`;
    const relay = new Relay({ store, pool, kafka: world.kafkaConfig(), name: relayName, categories: { [category]: 'sales' }, topicOf: () => topic, batchSize: 200 });
    await relay.start();
    world.onCleanup(() => relay.stop());
    return { category, topic, relayName, relay };
  };

  it('killed during its first build, builds from the store again after each kill, and never claims a position whose events it does not hold', async () => {
    const { category, topic, relayName, relay } = await relayedCategory();
    const published = await appendSampleOrders(store, category, 300);
    await pollUntil(async () => relay.checkpoint >= published, () => `relay at ${relay.checkpoint}, not ${published}`);
    await trimTopic(topic);

    const projection = customerRevenueProjection({ name: `first_${randomUUID().slice(0, 8)}`, categories: [category] });
    const env = {
      DATABASE_URL: world.database.url,
      PROJECTION_NAME: projection.name,
      CATEGORY: category,
      BATCH_SIZE: '25',
      APPLY_DELAY_MS: '40',
      KAFKA_TOPIC: topic,
      RELAY_NAME: relayName,
    };
    const events = 360; // 300 orders, a refund after every fifth
    const checkHeld = async () => {
      const { position, held, claimed } = await positionHeld(pool, store, projection, category);
      if (held < claimed) throw new Error(`position ${position} claims ${claimed} orders; the copy holds ${held}`);
    };
    /** Waits for `reached` in this child's build; a runner that went live instead has skipped its build. */
    const waitInBuild = (child: ProjectionProcess, moment: string, reached: () => Promise<boolean>) =>
      pollUntil(
        async () => {
          const row = await readRegistryRow(pool, projection.name);
          if (row?.status === 'live') {
            const { position, held, claimed } = await positionHeld(pool, store, projection, category);
            throw new Error(`went live without finishing its build (${moment}): position ${position}, ${held} of ${claimed} orders held`);
          }
          return row?.ownerPid === child.pid && row.status === 'rebuilding' && (await reached());
        },
        async () =>
          `never ${moment}: ${JSON.stringify(await readRegistryRow(pool, projection.name), (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}, ` +
          `consumer group ${await groupState(projection.name)}`,
      );
    const killed = async (child: ProjectionProcess) => {
      child.child.kill('SIGKILL');
      await child.exited;
      await checkHeld();
    };

    // In its first batch, before any batch has committed.
    const first = await spawnProjectionProcess(env);
    children.push(first);
    await waitInBuild(first, 'in its first batch', async () => (await readRegistryRow(pool, projection.name))?.rebuildEvents === 0 && (await isMidBatch(pool)));
    await killed(first);

    // Halfway through, some batches committed to the shadow copy.
    const second = await spawnProjectionProcess(env);
    children.push(second);
    await waitInBuild(second, 'halfway', async () => ((await readRegistryRow(pool, projection.name))?.rebuildEvents ?? 0) >= events / 2 && (await isMidBatch(pool)));
    await killed(second);

    // Just before the swap: the shadow copy is complete and indexed, the swap waits for the registry row.
    const third = await spawnProjectionProcess(env);
    children.push(third);
    await waitInBuild(third, 'rebuilding', async () => true);
    const swap = await holdSwap(pool, projection.name);
    try {
      await pollUntil(() => swap.swapWaiting(), () => `the swap never came: ${third.output()}`);
      expect((await readRegistryRow(pool, projection.name))?.rebuildEvents).toBe(events);
      await killed(third);
    } finally {
      await swap.release();
    }

    const finisher = await spawnProjectionProcess({ ...env, APPLY_DELAY_MS: '0' });
    children.push(finisher);
    // Watches what the position claims against what the copy holds, all the way through.
    let watching = true;
    const failures: unknown[] = [];
    const watcher = (async () => {
      while (watching && failures.length === 0) await checkHeld().catch((error: unknown) => failures.push(error));
    })();
    try {
      await pollUntil(async () => (await readRegistryRow(pool, projection.name))?.status === 'live', () => finisher.output(), 60_000);
      // What comes after the build comes through Kafka.
      const last = await appendSampleOrders(store, category, 50);
      await waitForCheckpoint(pool, projection.name, last, 60_000);
    } finally {
      watching = false;
      await watcher;
    }
    finisher.child.kill('SIGTERM');
    await finisher.exited;
    expect(failures).toEqual([]);

    // What the interrupted builds left is gone.
    const { rows: schemas } = await pool.query<{ nspname: string }>(`select nspname from pg_namespace where nspname like $1 order by 1`, [
      `${schemaOf(projection)}%`,
    ]);
    expect(schemas.map((s) => s.nspname)).toEqual([schemaOf(projection)]);
    const rows = await readRows(pool, projection, 'customer_revenue');
    expect(rows.reduce((sum, row) => sum + Number(row.orders), 0)).toBe(350);
    expect(rows).toEqual(await cleanRebuildRows(pool, store, projection, 'customer_revenue'));
  });

  it('away while retention deleted messages its group had not read, builds from the store again', async () => {
    const { category, topic, relayName, relay } = await relayedCategory();
    const projection = customerRevenueProjection({ name: `away_${randomUUID().slice(0, 8)}`, categories: [category] });
    const runner = () => {
      const started = new ProjectionRunner({
        projection,
        store,
        pool,
        batchSize: 100,
        source: { kind: 'kafka', kafka: world.kafka(), topics: [topic], relayName, catalogue: ordersCatalogue(), watermarkIntervalMs: 100 },
      });
      world.onCleanup(() => started.stop());
      return started;
    };
    const relayed = async (position: bigint) => pollUntil(async () => relay.checkpoint >= position, () => `relay at ${relay.checkpoint}, not ${position}`);

    // Built from the store, then 20 orders through Kafka: the group has committed offsets.
    const first = runner();
    await first.start();
    await waitForCheckpoint(pool, projection.name, await appendSampleOrders(store, category, 100), 45_000);
    await waitForCheckpoint(pool, projection.name, await appendSampleOrders(store, category, 20), 45_000);
    await first.stop();

    // While it is away, 30 more are published and retention deletes them.
    await relayed(await appendSampleOrders(store, category, 30));
    await trimTopic(topic);

    const second = runner();
    await second.start();
    await pollUntil(async () => second.status === 'live', () => `runner ${second.status}`, 45_000);
    // And what comes next comes through Kafka, from where retention left the topic.
    const last = await appendSampleOrders(store, category, 1);
    await waitForCheckpoint(pool, projection.name, last, 45_000);
    const { position, held, claimed } = await positionHeld(pool, store, projection, category);
    expect({ position, held }).toEqual({ position, held: claimed }); // the position says what the copy holds
    await second.stop();
    const rows = await readRows(pool, projection, 'customer_revenue');
    expect(rows.reduce((sum, row) => sum + Number(row.orders), 0)).toBe(151);
    expect(rows).toEqual(await cleanRebuildRows(pool, store, projection, 'customer_revenue'));
    const { rows: handled } = await pool.query<{ n: number }>(`select count(*)::int as n from messaging.handled_events where consumer = $1`, [projection.name]);
    expect(handled[0].n).toBeGreaterThan(20); // the 20 before, and the last one after
  });
});
