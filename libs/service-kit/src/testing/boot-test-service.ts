import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createTestDatabase, deleteTestTopics, type TestDatabase } from '@clientela/testing';
import { loadPlatformConfig, structuredLogger, type PlatformConfig } from '@clientela/platform';
import { contextTopic, deadLetterTopic } from '@clientela/contracts';
import { createServiceApp, type ServiceApp } from '../bootstrap/create-service-app';
import type { ServiceDefinition } from '../bootstrap/service-definition';
import { openServiceInfrastructure, type ServiceInfrastructure } from '../infrastructure/service-infrastructure';

export type TestBus = 'standalone' | 'kafka';

export interface TestService {
  app: NestFastifyApplication;
  /** For supertest: `request(service.server)`. */
  server: NestFastifyApplication['getHttpServer'] extends () => infer S ? S : never;
  infra: ServiceInfrastructure;
  database: TestDatabase;
  service: ServiceApp;
  /** `http://127.0.0.1:<port>` when booted with `listen` (a gateway in front needs one). */
  url?: string;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  bus?: TestBus;
  bodyLimit?: number;
  /** Listen on a free loopback port (see `url`); without it only supertest reaches the service. */
  listen?: boolean;
  /** `false` stores personal fields in clear (default: sealed under the test database's own master key). */
  personalData?: boolean;
}

const masterKeys = new Map<string, string>();
/** One master key per test database: services booted on the same database open each other's personal data. */
const testMasterKey = (database: string): string => {
  let key = masterKeys.get(database);
  if (key === undefined) masterKeys.set(database, (key = randomBytes(32).toString('base64')));
  return key;
};

/** The platform config of a test run: the run's broker (KAFKA_BROKERS, from jest's global setup) under a topic prefix of its own. */
const testConfig = (database: TestDatabase, bus: TestBus, prefix: string, personalData = true): PlatformConfig =>
  loadPlatformConfig({
    DATABASE_URL: database.url,
    BUS: bus,
    ...(personalData ? { CLIENTELA_MASTER_KEY: testMasterKey(database.name) } : {}),
    ...(bus === 'kafka' ? { KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: prefix } : {}),
  });

/** The topics a service's relay creates, with their dead-letter topics. */
const topicsOf = (definition: ServiceDefinition, prefix: string): string[] =>
  [...new Set(Object.values(definition.publishes ?? {}))].map((c) => `${prefix}${contextTopic(c)}`).flatMap((t) => [t, deadLetterTopic(t)]);

/** One service on a database it does not own: closing it stops the service, not the database. */
const startOn = async (definition: ServiceDefinition, database: TestDatabase, config: PlatformConfig, options: TestServiceOptions): Promise<TestService> => {
  const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const infra = await openServiceInfrastructure({ service: definition.name, config, catalogue: definition.catalogue, logger: structuredLogger(quiet) });
  const service = await createServiceApp(definition, infra, { pino: quiet, bodyLimit: options.bodyLimit });
  let url: string | undefined;
  if (options.listen) {
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    url = (await service.app.getUrl()).replace('[::1]', '127.0.0.1');
  } else {
    await service.app.getHttpAdapter().getInstance().ready();
  }
  return { app: service.app, server: service.app.getHttpServer(), infra, database, service, ...(url ? { url } : {}), close: () => service.close() };
};

/**
 * A service in-process on a fresh database, for HTTP tests, built exactly as main.ts builds it.
 * With `bus: 'kafka'` it uses the run's broker (KAFKA_BROKERS, started by jest's global setup) with
 * topics and consumer groups under a prefix of its own, deleted afterwards.
 */
export const bootTestService = async (definition: ServiceDefinition, options: TestServiceOptions = {}): Promise<TestService> => {
  const database = await createTestDatabase(`clientela_${definition.name}`);
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const config = testConfig(database, options.bus ?? 'standalone', prefix, options.personalData !== false);
  const started = await startOn(definition, database, config, options);
  return {
    ...started,
    close: async () => {
      await started.close();
      if (config.bus.kind === 'kafka') await deleteTestTopics(config.bus.brokers, topicsOf(definition, prefix)).catch(() => undefined);
      await database.drop();
    },
  };
};

export interface TestPlatform {
  /** Each service by its definition's name. */
  services: Record<string, TestService>;
  database: TestDatabase;
  config: PlatformConfig;
  /** The topic prefix every service of the platform shares (Kafka bus). */
  prefix: string;
  close(): Promise<void>;
}

/**
 * Several services in-process on ONE fresh database and one topic prefix, as `npm start` runs them in
 * separate processes: what one appends, the others read (standalone) or receive from the bus (Kafka).
 * Started in the order given; closed in the reverse order, then the database and topics go.
 */
export const bootTestPlatform = async (definitions: readonly ServiceDefinition[], options: TestServiceOptions = {}): Promise<TestPlatform> => {
  const database = await createTestDatabase(`clientela_${definitions.map((d) => d.name).join('_')}`);
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const config = testConfig(database, options.bus ?? 'standalone', prefix, options.personalData !== false);
  const started: TestService[] = [];
  const close = async () => {
    for (const service of [...started].reverse()) await service.close();
    if (config.bus.kind === 'kafka') await deleteTestTopics(config.bus.brokers, definitions.flatMap((d) => topicsOf(d, prefix))).catch(() => undefined);
    await database.drop();
  };
  try {
    for (const definition of definitions) started.push(await startOn(definition, database, config, options));
  } catch (error) {
    await close();
    throw error;
  }
  return { services: Object.fromEntries(definitions.map((d, i) => [d.name, started[i]])), database, config, prefix, close };
};
