import 'reflect-metadata';
import { createLogger } from '@clientela/platform';
import { loadGatewayConfig } from './config/gateway-config';
import { createGatewayApp } from './create-gateway-app';

// Thin on purpose: the service kit's bootstrap replaces this file.
const main = async () => {
  const config = loadGatewayConfig();
  const logger = createLogger({ name: 'gateway', level: config.logLevel });
  const app = await createGatewayApp({ config, logger });
  // Ctrl-C or a stop is a normal end: close (stop listening, let requests finish, close pools), exit 0.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info('gateway stopping', { signal });
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error('gateway did not stop cleanly', { error: String(error) });
          process.exit(1);
        },
      );
    });
  }
  await app.listen({ port: config.port, host: '0.0.0.0' });
  logger.info('gateway listening', { port: config.port, services: config.services });
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
