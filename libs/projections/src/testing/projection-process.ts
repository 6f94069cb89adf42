/**
 * A projection runner in a process of its own, for the crash and takeover tests:
 * `node -r @swc-node/register projection-process.ts` with DATABASE_URL, PROJECTION_NAME,
 * CATEGORY, BATCH_SIZE and APPLY_DELAY_MS (a sleep inside each batch's transaction, so that a
 * SIGKILL lands mid-batch). With KAFKA_TOPIC and RELAY_NAME its live copy follows that topic
 * (on the broker of KAFKA_BROKERS) instead of the store. Runs until SIGTERM.
 */
import { Pool } from 'pg';
import { PostgresEventStore } from '@clientela/event-store';
import { kafkaBrokersForTest, testKafka } from '@clientela/testing';
import { defineProjection, type SqlProjection } from '../projection';
import { ProjectionRunner } from '../projection-runner';
import type { ProjectionSource } from '../kafka-source';
import { writeRowChanges } from '../sql-writer';
import { customerRevenueProjection, ordersCatalogue } from './sample-orders';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const main = async () => {
  const connectionString = env('DATABASE_URL');
  const delayMs = Number(process.env.APPLY_DELAY_MS ?? '0');
  const base = customerRevenueProjection({ name: env('PROJECTION_NAME'), categories: [env('CATEGORY')] });
  const { project: _project, ...shape } = base;
  const slowed = defineProjection<SqlProjection>({
    ...shape,
    apply: async (events, tx) => {
      await writeRowChanges(tx.client, base, events.flatMap((event) => base.project(event)));
      if (delayMs > 0) await tx.client.query('select pg_sleep($1)', [delayMs / 1000]);
    },
  });
  const pool = new Pool({ connectionString, max: 4 });
  const store = await PostgresEventStore.create({ pool, catalogue: ordersCatalogue() });
  const topic = process.env.KAFKA_TOPIC;
  const source: ProjectionSource = topic
    ? { kind: 'kafka', kafka: testKafka(kafkaBrokersForTest()), topics: [topic], relayName: env('RELAY_NAME'), catalogue: ordersCatalogue(), watermarkIntervalMs: 100 }
    : { kind: 'store' };
  const runner = new ProjectionRunner({
    source,
    projection: slowed,
    store,
    pool,
    batchSize: Number(process.env.BATCH_SIZE ?? '20'),
    takeoverIntervalMs: 100,
  });
  await runner.start();
  process.stdout.write(`${JSON.stringify({ pid: process.pid, active: runner.isActive })}\n`);
  const stop = async () => {
    await runner.stop();
    await store.close();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
