import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createTestDatabase, deleteTestTopics, type TestDatabase } from '@clientela/testing';
import { loadPlatformConfig, structuredLogger } from '@clientela/platform';
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
  close(): Promise<void>;
}

const masterKeys = new Map<string, string>();
/** One master key per test database: services booted on the same database share its data keys. */
const testMasterKey = (database: string): string => {
  let key = masterKeys.get(database);
  if (key === undefined) masterKeys.set(database, (key = randomBytes(32).toString('base64')));
  return key;
};

export interface BootTestServiceOptions {
  bus?: TestBus;
  bodyLimit?: number;
  /**
   * Services that work together (as `npm start` runs them) share one database and one topic prefix:
   * give each the same. The caller then owns the database (close() does not drop it).
   */
  database?: TestDatabase;
  topicPrefix?: string;
  /** `false` stores personal fields in clear (default: sealed under the test database's own master key). */
  personalData?: boolean;
}

/**
 * A service in-process on a fresh database, for HTTP tests, built exactly as main.ts builds it.
 * With `bus: 'kafka'` it uses the run's broker (KAFKA_BROKERS, started by jest's global setup) with
 * topics and consumer groups under a prefix of its own, deleted afterwards.
 */
export const bootTestService = async (definition: ServiceDefinition, options: BootTestServiceOptions = {}): Promise<TestService> => {
  const database = options.database ?? (await createTestDatabase(`clientela_${definition.name}`));
  const bus = options.bus ?? 'standalone';
  const prefix = options.topicPrefix ?? `t${randomBytes(4).toString('hex')}.`;
  const config = loadPlatformConfig({
    DATABASE_URL: database.url,
    BUS: bus,
    ...(options.personalData === false ? {} : { CLIENTELA_MASTER_KEY: testMasterKey(database.name) }),
    ...(bus === 'kafka' ? { KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: prefix } : {}),
  });
  const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const infra = await openServiceInfrastructure({ service: definition.name, config, catalogue: definition.catalogue, logger: structuredLogger(quiet) });
  const service = await createServiceApp(definition, infra, { pino: quiet, bodyLimit: options.bodyLimit });
  await service.app.getHttpAdapter().getInstance().ready();
  return {
    app: service.app,
    server: service.app.getHttpServer(),
    infra,
    database,
    service,
    close: async () => {
      await service.close();
      if (config.bus.kind === 'kafka') {
        const topics = [...new Set(Object.values(definition.publishes ?? {}))].map((c) => `${prefix}${contextTopic(c)}`);
        await deleteTestTopics(config.bus.brokers, topics.flatMap((t) => [t, deadLetterTopic(t)])).catch(() => undefined);
      }
      if (!options.database) await database.drop();
    },
  };
};
