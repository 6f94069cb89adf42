import 'reflect-metadata';
import { createLogger, runUntilStopped } from '@clientela/platform';
import { ensureDatabase } from '@clientela/service-kit';
import { loadGatewayConfig } from './config/gateway-config';
import { createGatewayApp } from './create-gateway-app';

const logger = createLogger({ name: 'gateway' });
void runUntilStopped('gateway', logger, async () => {
  const config = loadGatewayConfig();
  await ensureDatabase(config.databaseUrl);
  const app = await createGatewayApp({ config, logger: createLogger({ name: 'gateway', level: config.logLevel }) });
  // Every address unless HOST narrows it: the gateway is the platform's one door.
  await app.listen({ port: config.port, host: config.platform?.host ?? '0.0.0.0' });
  return { url: `http://127.0.0.1:${config.port}`, close: () => app.close(), details: { services: config.services } };
});
