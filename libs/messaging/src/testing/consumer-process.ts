/**
 * A Kafka consumer in a process of its own, for the crash test:
 * `node -r @swc-node/register consumer-process.ts` with DATABASE_URL, KAFKA_BROKERS, TOPIC, GROUP,
 * TABLE, BATCH_SIZE and APPLY_DELAY_MS (a sleep in the handler, inside the batch's transaction,
 * so that a SIGKILL lands mid-batch). Runs until SIGTERM.
 */
import { Pool } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaConsumer } from '../consumer/create-consumers';
import { sampleCatalogue, type SampleOrderData } from './sample-events';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const main = async () => {
  const table = env('TABLE');
  const delayMs = Number(process.env.APPLY_DELAY_MS ?? '0');
  const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 4, application_name: 'crash-consumer' });
  const kafka = new Kafka({ clientId: 'crash-consumer', brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
  const consumer = await startKafkaConsumer({
    kafka,
    name: env('GROUP'),
    pool,
    topics: [env('TOPIC')],
    catalogue: sampleCatalogue(),
    batchSize: Number(process.env.BATCH_SIZE ?? '50'),
    // A killed member's partitions move on after the session timeout: keep it short in tests.
    consumerConfig: { sessionTimeout: 6_000, heartbeatInterval: 500 },
    handlers: {
      OrderPlaced: async (event, { tx }) => {
        const order = event.data as unknown as SampleOrderData;
        // Not idempotent by itself: a second application would show in the totals.
        await tx.query(
          `insert into ${table} (customer_id, orders, total, last_seq) values ($1, 1, $2, $3)
           on conflict (customer_id) do update set orders = ${table}.orders + 1, total = ${table}.total + excluded.total, last_seq = excluded.last_seq`,
          [order.customerId, order.amount, order.seq],
        );
        if (delayMs > 0) await tx.query('select pg_sleep($1)', [delayMs / 1000]);
      },
    },
  });
  process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`);
  process.on('SIGTERM', () => {
    void consumer
      .stop()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  });
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
