import { createPino, loadPlatformConfig, structuredLogger } from '@clientela/platform';
import { openServiceInfrastructure } from '../infrastructure/service-infrastructure';
import { createServiceApp } from './create-service-app';
import type { ServiceDefinition } from './service-definition';

/** Printed once the service listens and its background work runs: the launcher (`npm start`) waits for it. */
export const READY_MARKER = 'clientela service ready';

/**
 * The whole of a service's main.ts: config from the environment, infrastructure, the app, listen,
 * and a graceful stop on SIGINT/SIGTERM (exit 0) or a failed start (exit 1, the reason logged).
 */
export const bootstrapService = async (definition: ServiceDefinition, env: Record<string, string | undefined> = process.env): Promise<void> => {
  const pino = createPino({ name: definition.name, level: env.LOG_LEVEL || 'info' });
  const logger = structuredLogger(pino);
  try {
    const config = loadPlatformConfig(env);
    const infra = await openServiceInfrastructure({ service: definition.name, config, catalogue: definition.catalogue, logger });
    const service = await createServiceApp(definition, infra, { pino });
    const stop = (signal: string) => {
      logger.info('stopping', { signal });
      service
        .close()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          logger.error('stopped with an error', { error: String(error) });
          process.exit(1);
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    await service.app.listen({ port: config.port, host: '127.0.0.1' });
    // Whatever LOG_LEVEL says: the launcher and tests wait for this line.
    process.stdout.write(`${JSON.stringify({ msg: READY_MARKER, service: definition.name, url: `http://127.0.0.1:${config.port}`, bus: config.bus.kind, eventStore: config.eventStore.kind })}\n`);
  } catch (error) {
    logger.error('could not start', { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
};
