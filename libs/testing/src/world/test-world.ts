import type { Kafka, KafkaConfig } from 'kafkajs';
import type { Pool, PoolConfig } from 'pg';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database';
import { createTestTopics, deleteTestTopics, kafkaBrokersForTest, testKafka, testKafkaConfig, uniqueTopicName } from '../kafka/test-topics';

/** Anything the world opens on its pool and closes at the end (an event store). */
export interface Closable {
  close(): Promise<void>;
}

export interface TestWorldOptions<Store extends Closable | undefined> {
  /** Prefix of the database's name: says which spec made it. */
  name: string;
  /** False for a spec that needs only the broker: no database is made. Default true. */
  database?: boolean;
  /** The pool's settings (`max` 10 unless given). */
  pool?: Omit<PoolConfig, 'connectionString'>;
  /** Opens the store on the world's pool, once, after the database exists: `(pool) => PostgresEventStore.create({ pool, catalogue })`. */
  store?: (pool: Pool) => Promise<Store>;
}

/** What an integration spec runs on: a fresh database, its pool, a store on it, the run's broker, and cleanup. */
export interface TestWorld<Store extends Closable | undefined> {
  readonly database: TestDatabase;
  readonly pool: Pool;
  readonly store: Store;
  /** The run's Kafka brokers (the jest globalSetup starts one); asking for them without a broker says how to get one. */
  readonly brokers: string[];
  /** A quiet kafkajs client on the run's broker. */
  kafka(config?: Partial<KafkaConfig>): Kafka;
  /** The same client's configuration (what a relay takes: it builds its client in a thread of its own). */
  kafkaConfig(config?: Partial<KafkaConfig>): KafkaConfig;
  /** A topic of its own and its `<topic>.dlq`, created with `partitions` and deleted after the spec. */
  topic(prefix: string, partitions?: number, configEntries?: Record<string, string>): Promise<string>;
  /** Runs after the spec, before the store closes and the database drops; the last added runs first. Errors are ignored. */
  onCleanup(cleanup: () => Promise<unknown>): void;
}

/**
 * One world per spec file: call it inside `describe`, it opens the world in `beforeAll` and
 * tears it down in `afterAll` (relays and consumers added with onCleanup, then the store, the
 * topics and the database). Its fields can be read from `beforeAll` on. Jest runs `afterAll` hooks
 * in the order they were declared, the world's first: a spec stops what it started through
 * onCleanup, not an `afterAll` of its own, so that nothing outlives the database it runs on.
 */
export const useTestWorld = <Store extends Closable | undefined = undefined>(options: TestWorldOptions<Store>): TestWorld<Store> => {
  let database: TestDatabase | undefined;
  let pool: Pool | undefined;
  let store: Store | undefined;
  let brokers: string[] | undefined;
  const topics: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the test world's ${what} is there from beforeAll on`);
    return value;
  };

  beforeAll(async () => {
    if (options.database === false) return;
    database = await createTestDatabase(options.name);
    pool = database.pool({ max: 10, ...options.pool });
    if (options.store) store = await options.store(pool);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await store?.close();
    if (brokers) await deleteTestTopics(brokers, topics).catch(() => undefined);
    await database?.drop();
  });

  const world: TestWorld<Store> = {
    get database() {
      return ready(database, 'database');
    },
    get pool() {
      return ready(pool, 'pool');
    },
    get store() {
      if (!options.store) throw new Error('this test world has no store: give `store` to useTestWorld');
      return ready(store, 'store') as Store;
    },
    get brokers() {
      brokers ??= kafkaBrokersForTest();
      return brokers;
    },
    kafka: (config = {}) => testKafka(world.brokers, config),
    kafkaConfig: (config = {}) => testKafkaConfig(world.brokers, config),
    async topic(prefix, partitions = 1, configEntries = {}) {
      const topic = uniqueTopicName(prefix);
      topics.push(topic, `${topic}.dlq`);
      await createTestTopics(world.brokers, [topic, `${topic}.dlq`], partitions, configEntries);
      return topic;
    },
    onCleanup: (cleanup) => void cleanups.push(cleanup),
  };
  return world;
};
