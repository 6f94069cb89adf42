import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, loadPlatformConfig } from '@clientela/platform';
import type { ServiceDefinition } from '@clientela/service-kit';
import { bootTestService, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
// The gateway as its own tests build it: what the CLI talks to with --url and --api-key.
import { createGatewayApp } from '../../../../apps/gateway/src/create-gateway-app';
import { ROUTES } from '../../../../apps/gateway/src/routing/routes';

export const TEST_ADMIN_KEY = 'cli-test-admin-key-0123456789abcdefghijklmnop';

/** Services and the gateway in this process, as `npm start` runs them: one database, one topic prefix. */
export interface TestPlatform {
  /** The gateway's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  adminKey: string;
  database: TestDatabase;
  services: Record<string, TestService>;
  topicPrefix: string;
  close(): Promise<void>;
}

/**
 * Boots each service with bootTestService on one fresh database (listening on a free port), then the
 * gateway in front of them with an admin key. Cheaper than processes, and the same code paths.
 */
export const bootTestPlatform = async (definitions: readonly ServiceDefinition[], options: { bus?: TestBus } = {}): Promise<TestPlatform> => {
  const database = await createTestDatabase('clientela_cli_platform');
  const topicPrefix = `t${randomBytes(4).toString('hex')}.`;
  const services: Record<string, TestService> = {};
  let gateway: NestFastifyApplication | undefined;
  const close = async () => {
    await gateway?.close();
    for (const service of Object.values(services).reverse()) await service.close();
    await database.drop();
  };
  try {
    // One after the other: each runs the event store's migrations on the shared database.
    for (const definition of definitions) {
      const service = await bootTestService(definition, { bus: options.bus, database, topicPrefix });
      services[definition.name] = service;
      await service.app.listen({ port: 0, host: '127.0.0.1' });
    }
    const urls = Object.fromEntries(await Promise.all(Object.entries(services).map(async ([name, s]) => [name, (await s.app.getUrl()).replace('[::1]', '127.0.0.1')] as const)));
    const routes = Object.fromEntries(Object.entries(ROUTES).filter(([, service]) => service in urls));
    gateway = await createGatewayApp(
      {
        config: {
          port: 0,
          databaseUrl: database.url,
          services: urls,
          adminApiKey: TEST_ADMIN_KEY,
          apiKeyCacheTtlMs: 5_000,
          // A batch of 1,000 ingest messages can take long on a loaded machine.
          upstream: { connectTimeoutMs: 5_000, timeoutMs: 300_000 },
          logLevel: 'silent',
          platform: loadPlatformConfig({ DATABASE_URL: database.url }),
        },
        logger: createLogger({ name: 'gateway', level: 'silent' }),
        routes,
      },
      false,
    );
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const url = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
    return { url, adminKey: TEST_ADMIN_KEY, database, services, topicPrefix, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
};
