import { Module, type LoggerService } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as PinoLogger } from 'pino';
import type { NestMicroservice } from '@nestjs/microservices';
import { MessagingExceptionFilter } from '@clientela/messaging';
import { ProblemDetailsFilter, structuredLogger } from '@clientela/platform';
import { GatewayGuard } from '../http/gateway-guard';
import { instrumentHttp } from '../http/http-metrics';
import { buildOpenApiDocument, serveOpenApi } from '../http/openapi';
import { createServiceAdapter } from '../http/service-adapter';
import { serviceValidationPipe } from '../http/validation';
import type { ServiceInfrastructure } from '../infrastructure/service-infrastructure';
import type { ServiceDefinition } from './service-definition';
import { ServiceKitModule } from './service-kit.module';
import { ServiceRuntime } from './service-runtime';

export interface ServiceApp {
  app: NestFastifyApplication;
  runtime: ServiceRuntime;
  /** Graceful: background work stops (batches finish, checkpoints commit), in-flight requests end, then the pools close. */
  close(): Promise<void>;
}

/** Nest's own log lines through the service's pino logger. */
const nestLogger = (pino: PinoLogger): LoggerService => ({
  log: (message: unknown, context?: string) => pino.debug({ context }, String(message)),
  warn: (message: unknown, context?: string) => pino.warn({ context }, String(message)),
  error: (message: unknown, trace?: string, context?: string) => pino.error({ context, trace }, String(message)),
});

/** The service's Nest app, built the one way every service is: for its main.ts and for HTTP tests alike. */
export const createServiceApp = async (
  definition: ServiceDefinition,
  infra: ServiceInfrastructure,
  options: { pino: PinoLogger; bodyLimit?: number },
): Promise<ServiceApp> => {
  const runtime = new ServiceRuntime(infra, definition);
  @Module({ imports: [ServiceKitModule.forRoot(infra, definition, runtime), ...definition.features] })
  class ServiceRootModule {}

  const adapter = createServiceAdapter({ service: definition.name, logger: options.pino, bodyLimit: options.bodyLimit });
  const app = await NestFactory.create<NestFastifyApplication>(ServiceRootModule, adapter, { logger: nestLogger(options.pino), abortOnError: false });
  app.useGlobalPipes(serviceValidationPipe());
  if (infra.config.gatewaySecret) app.useGlobalGuards(new GatewayGuard(infra.config.gatewaySecret));
  app.useGlobalFilters(new ProblemDetailsFilter(app.get(HttpAdapterHost), structuredLogger(options.pino)));
  instrumentHttp(adapter.getInstance(), infra.metrics);
  serveOpenApi(app, buildOpenApiDocument(app, { title: definition.title, description: definition.description }));
  if (runtime.reactions) {
    // Not inheriting the HTTP app's pipes and problem filter: a handler's own error must reach the transport.
    // Deferred, so that the filter is registered before the handlers are (Nest reads global filters
    // then); the modules' init hooks have run once already, with the HTTP app.
    const reactions = app.connectMicroservice({ strategy: runtime.reactions }, { deferInitialization: true }) as NestMicroservice;
    reactions.useGlobalFilters(new MessagingExceptionFilter());
    reactions.setIsInitHookCalled(true);
  }
  await app.init();
  await runtime.start();
  // After the relays: in Kafka mode the reactions' topics exist by now. Nest closes it with the app.
  if (runtime.reactions) await app.startAllMicroservices();
  let closing: Promise<void> | undefined;
  return {
    app,
    runtime,
    close: () =>
      (closing ??= (async () => {
        await runtime.stop();
        await app.close();
        await infra.close();
      })()),
  };
};
