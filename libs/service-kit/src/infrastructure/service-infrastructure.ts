import { Pool } from 'pg';
import { logLevel, type Admin, type Kafka, type KafkaConfig, type LogEntry } from 'kafkajs';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { contextTopic, deadLetterTopic, UnavailableError, type Context, type EventCatalogue } from '@clientela/contracts';
import { createEventStoreDbEventStore, PostgresEventStore, type EventStore } from '@clientela/event-store';
import { kafkaClient } from '@clientela/messaging';
import { DataKeyRing, migrateDataKeys, parseMasterKeys, PersonalDataProtection } from '@clientela/personal-data';
import { ConfigError, errorMessage, masterKeyProblem, type PlatformConfig, type StructuredLogger } from '@clientela/platform';
import { ensureDatabase } from '@clientela/postgres';

/** What a service runs on, built once from the config: the pool, the event store, Kafka when the bus is Kafka. */
export interface ServiceInfrastructure {
  readonly service: string;
  readonly config: PlatformConfig;
  readonly databaseUrl: string;
  readonly pool: Pool;
  readonly store: EventStore;
  /**
   * Seals and opens personal fields (the store does it on append and read; consumers of relayed
   * events open them); absent when no CLIENTELA_MASTER_KEY is configured.
   */
  readonly personalData?: { protection: PersonalDataProtection; keys: DataKeyRing };
  /** In Kafka mode: the client, and the configuration it was built from (relays build their producer's client from it in a thread). */
  readonly kafka?: { readonly client: Kafka; readonly config: KafkaConfig };
  /** The service's Prometheus registry: HTTP, commands, messaging and projections all register here. */
  readonly metrics: Registry;
  readonly logger: StructuredLogger;
  /** The topic a context's events are relayed to, with the configured prefix. */
  topicOf(context: Context): string;
  /** A Kafka consumer group of this service, with the configured prefix. */
  groupIdOf(name: string): string;
  close(): Promise<void>;
}

/**
 * kafkajs's log in the service's. Its `Connection` logs every error answer a broker gives at error
 * level, the ones it then retries too (a topic just created: "This server does not host this
 * topic-partition", at every Kafka-mode start): the request's caller retries or fails, and what
 * fails is logged there. So those are warnings here, and an error in the log is one to act on.
 */
export const kafkaLogCreator = (logger: Pick<StructuredLogger, 'error' | 'warn'>) => () => (entry: LogEntry) => {
  const fields = { broker: entry.log.broker, error: entry.log.error, kafka: entry.namespace };
  if (entry.level <= logLevel.ERROR && entry.namespace !== 'Connection') logger.error(entry.log.message, fields);
  else if (entry.level <= logLevel.WARN) logger.warn(entry.log.message, fields);
};

export const openServiceInfrastructure = async (options: {
  service: string;
  config: PlatformConfig;
  catalogue: EventCatalogue;
  logger: StructuredLogger;
}): Promise<ServiceInfrastructure> => {
  const { config, service, logger } = options;
  const databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    throw new ConfigError(['DATABASE_URL is required to run a service on its own (`npm start` starts an embedded PostgreSQL and sets it)']);
  }
  const noKey = masterKeyProblem(config);
  if (noKey) throw new ConfigError([noKey]);
  await ensureDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 20, application_name: `clientela-${service}` });
  pool.on('error', (error) => logger.warn('idle PostgreSQL connection failed', { error: error.message }));
  const onTransientError = (error: unknown) => logger.warn('event store connection problem; retrying', { error: String(error) });
  let store: EventStore;
  let personalData: ServiceInfrastructure['personalData'];
  try {
    if (config.personalData) {
      // Data keys live in PostgreSQL whichever store runs, wrapped by the master key.
      await migrateDataKeys(pool);
      const keys = new DataKeyRing(pool, parseMasterKeys(config.personalData.masterKey, config.personalData.previousMasterKeys));
      personalData = { keys, protection: new PersonalDataProtection(options.catalogue, keys) };
    } else {
      logger.warn('personal data is stored in clear: set CLIENTELA_MASTER_KEY to seal it (npm start does)');
    }
    const codec = personalData?.protection;
    store =
      config.eventStore.kind === 'eventstoredb'
        ? await createEventStoreDbEventStore({ connectionString: config.eventStore.url, catalogue: options.catalogue, personalData: codec })
        : await PostgresEventStore.create({ pool, catalogue: options.catalogue, onTransientError, personalData: codec });
  } catch (error) {
    await pool.end();
    throw error;
  }
  const prefix = config.bus.kind === 'kafka' ? config.bus.topicPrefix : '';
  const kafkaConfig: KafkaConfig | undefined =
    config.bus.kind === 'kafka' ? { clientId: `clientela-${service}`, brokers: config.bus.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) } : undefined;
  const kafka = kafkaConfig ? { client: kafkaClient(kafkaConfig), config: kafkaConfig } : undefined;
  const metrics = new Registry();
  metrics.setDefaultLabels({ service });
  collectDefaultMetrics({ register: metrics });
  return {
    service,
    config,
    databaseUrl,
    pool,
    store,
    personalData,
    kafka,
    metrics,
    logger,
    topicOf: (context) => `${prefix}${contextTopic(context)}`,
    groupIdOf: (name) => `${prefix}clientela.${service}.${name}`,
    close: async () => {
      await store.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
};

/** Creates the service's topics and their dead-letter topics (auto-created topics first fail with leader errors under KRaft). */
export const ensureTopics = async (kafka: Kafka, topics: readonly string[], partitions = 6): Promise<void> => {
  const wanted = [...new Set(topics.flatMap((t) => [t, deadLetterTopic(t)]))];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t));
    // Another service starting at the same moment may create some of them first: kafkajs then fails
    // its own wait for leaders ("does not host this topic-partition"). Whoever created them, the
    // wait below says whether they are there.
    let creationError: unknown;
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions })) }).catch((error: unknown) => {
        creationError = error;
      });
    }
    // Services start together: a topic another one has just created may have no leader yet, and a
    // consumer subscribing then fails with "This server does not host this topic-partition".
    await waitForLeaders(admin, wanted, creationError);
  } finally {
    await admin.disconnect();
  }
};

/** `creationError`: why our own createTopics failed, said if the topics never appear (a refused creation is not a race). */
const waitForLeaders = async (admin: Admin, topics: readonly string[], creationError: unknown, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics: [...topics] })
      .then(({ topics: found }) => found.length === topics.length && found.every((topic) => topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0)))
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) {
      const why = creationError === undefined ? '' : ` (creating them failed: ${errorMessage(creationError)})`;
      throw new UnavailableError(`Kafka topics ${topics.join(', ')} do not exist or have no leader after ${timeoutMs} ms${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};
