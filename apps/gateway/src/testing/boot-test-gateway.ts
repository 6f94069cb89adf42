import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, loadPlatformConfig } from '@clientela/platform';
import type { TestPlatform } from '@clientela/service-kit/testing';
import { createGatewayApp } from '../create-gateway-app';
import type { RateLimitConfig } from '../rate-limits/rate-limits';
import { ROUTES } from '../routing/routes';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnopqrs';

export interface TestGateway {
  /** The gateway's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  adminKey: string;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

/**
 * The gateway in this process in front of a test platform's services (booted with `listen: true`),
 * routing what they serve, with an admin key: what client apps and the CLI talk to.
 */
export const bootTestGateway = async (platform: TestPlatform, options: { rateLimits?: RateLimitConfig } = {}): Promise<TestGateway> => {
  const urls = Object.fromEntries(
    Object.entries(platform.services).map(([name, service]) => {
      if (!service.url) throw new Error(`bootTestGateway: service ${name} was booted without listen: true`);
      return [name, service.url];
    }),
  );
  const routes = Object.fromEntries(Object.entries(ROUTES).filter(([, service]) => service in urls));
  const app = await createGatewayApp(
    {
      config: {
        port: 0,
        databaseUrl: platform.database.url,
        services: urls,
        adminApiKey: TEST_ADMIN_KEY,
        apiKeyCacheTtlMs: 5_000,
        // A batch of 1,000 ingest messages can take long on a loaded machine.
        upstream: { connectTimeoutMs: 5_000, timeoutMs: 300_000 },
        logLevel: 'silent',
        platform: loadPlatformConfig({ DATABASE_URL: platform.database.url }),
        // None unless asked: tests send faster than any client app.
        ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
      },
      logger: createLogger({ name: 'gateway', level: 'silent' }),
      routes,
    },
    false,
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), adminKey: TEST_ADMIN_KEY, app, close: () => app.close() };
};
