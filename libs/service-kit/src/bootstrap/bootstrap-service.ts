import { ConfigError, createPino, gatewaySecretProblem, loadPlatformConfig, runUntilStopped, structuredLogger } from '@clientela/platform';
import { openServiceInfrastructure } from '../infrastructure/service-infrastructure';
import { createServiceApp } from './create-service-app';
import type { ServiceDefinition } from './service-definition';

/**
 * The whole of a service's main.ts: config from the environment, infrastructure, the app, listen;
 * a graceful stop on SIGINT/SIGTERM (exit 0), a failed start logged (exit 1).
 */
export const bootstrapService = (definition: ServiceDefinition, env: Record<string, string | undefined> = process.env): Promise<void> => {
  const pino = createPino({ name: definition.name, level: env.LOG_LEVEL || 'info' });
  const logger = structuredLogger(pino);
  return runUntilStopped(definition.name, logger, async () => {
    const config = loadPlatformConfig(env);
    const noSecret = gatewaySecretProblem(config);
    if (noSecret) throw new ConfigError([noSecret]);
    const infra = await openServiceInfrastructure({ service: definition.name, config, catalogue: definition.catalogue, logger });
    try {
      const service = await createServiceApp(definition, infra, { pino });
      const host = config.host ?? '127.0.0.1';
      await service.app.listen({ port: config.port, host });
      return { url: `http://${host}:${config.port}`, close: service.close, details: { bus: config.bus.kind, eventStore: config.eventStore.kind } };
    } catch (error) {
      await infra.close();
      throw error;
    }
  });
};
