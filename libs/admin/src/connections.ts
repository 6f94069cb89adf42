import { Pool } from 'pg';
import { logLevel, type Kafka } from 'kafkajs';
import { contextTopic, Contexts, EventCatalogue, INGEST_TOPIC, UnavailableError, ValidationError, type Context } from '@clientela/contracts';
import { createEventStoreDbEventStore, PostgresEventStore, type EventStore } from '@clientela/event-store';
import type { PlatformConfig } from '@clientela/platform';

/** A dependency the operation needs did not answer; the message names it and where it was looked for. */
export class UnreachableError extends UnavailableError {
  override readonly code: string = 'unreachable';
  constructor(
    readonly dependency: string,
    readonly where: string,
    cause: unknown,
  ) {
    super(`could not reach ${dependency} at ${where}: ${cause instanceof Error ? cause.message : String(cause)}`, 5);
  }
  override details(): Record<string, unknown> {
    return { dependency: this.dependency, where: this.where };
  }
}

/** What the admin operations run on, built from the services' own configuration. */
export interface AdminConnections {
  readonly config: PlatformConfig;
  /** The platform's PostgreSQL: registry of projections, messaging tables, and the events when EVENT_STORE=postgres. */
  readonly pool: Pool;
  /** Read raw (as stored): admin tools see and forward events unchanged. */
  readonly store: EventStore;
  /** Present when BUS=kafka (or when brokers are given for a replay). */
  readonly kafka?: Kafka;
  readonly topicPrefix: string;
  /** The topic the relay publishes a context's events to. */
  topicOf(context: Context): string;
  /** Every topic the platform's consumers read (contexts and ingest), prefixed. */
  consumedTopics(): string[];
  close(): Promise<void>;
}

const hostOf = (url: string): string => {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
};

/**
 * Opens the pool, the event store and (in Kafka mode) a Kafka client, checking each answers, so a
 * command fails at once with what it could not reach rather than midway.
 */
export const openAdminConnections = async (
  config: PlatformConfig,
  options: { kafkaBrokers?: string[]; clientId?: string } = {},
): Promise<AdminConnections> => {
  const databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    throw new ValidationError('DATABASE_URL is not set: set it to the platform\'s PostgreSQL (npm start prints it), or use --url and --api-key for a gateway');
  }
  const pool = new Pool({ connectionString: databaseUrl, max: 4, application_name: options.clientId ?? 'clientela-admin', connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new UnreachableError('PostgreSQL', `${hostOf(databaseUrl)} (DATABASE_URL)`, error);
  }
  let store: EventStore;
  try {
    store =
      config.eventStore.kind === 'eventstoredb'
        ? await createEventStoreDbEventStore({ connectionString: config.eventStore.url, catalogue: new EventCatalogue() })
        : await PostgresEventStore.create({ pool, catalogue: new EventCatalogue() });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new UnreachableError(config.eventStore.kind === 'eventstoredb' ? 'EventStoreDB' : 'the event store', config.eventStore.kind === 'eventstoredb' ? 'EVENTSTORE_URL' : hostOf(databaseUrl), error);
  }
  const brokers = options.kafkaBrokers ?? (config.bus.kind === 'kafka' ? config.bus.brokers : undefined);
  const topicPrefix = config.bus.kind === 'kafka' ? config.bus.topicPrefix : '';
  // Loaded when used: `clientela events` needs neither Kafka nor Nest, and stays small (see tools/cli).
  const kafka = brokers
    ? (await import('@clientela/messaging')).kafkaClient({ clientId: options.clientId ?? 'clientela-admin', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3_000, retry: { retries: 2 } })
    : undefined;
  if (kafka && brokers) {
    const admin = kafka.admin();
    try {
      await admin.connect();
    } catch (error) {
      await store.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
      throw new UnreachableError('Kafka', `${brokers.join(',')} (KAFKA_BROKERS)`, error);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  const topicOf = (context: Context) => `${topicPrefix}${contextTopic(context)}`;
  return {
    config,
    pool,
    store,
    kafka,
    topicPrefix,
    topicOf,
    consumedTopics: () => [...Contexts.map(topicOf), `${topicPrefix}${INGEST_TOPIC}`],
    close: async () => {
      await store.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
};

/** The Kafka client, or a clear refusal when the platform runs without Kafka. */
export const requireKafka = (connections: AdminConnections, what: string): Kafka => {
  if (!connections.kafka) throw new ValidationError(`${what} needs Kafka: set BUS=kafka and KAFKA_BROKERS (the platform's configuration)`);
  return connections.kafka;
};
