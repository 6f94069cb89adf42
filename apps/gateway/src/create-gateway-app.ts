import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import { ProblemDetailsFilter, replyClientError, replyFrameworkError, type StructuredLogger } from '@clientela/platform';
import { GatewayModule, type GatewayModuleOptions } from './gateway.module';
import { setupGatewayOpenApi } from './openapi/setup-gateway-openapi';
import { GATEWAY_LOGGER } from './tokens';

/** HTTP/1.1 (so the reply is a node:http one); what the router or Node's HTTP parser refuses before a route is problem+json too. */
const HTTP_OPTIONS: FastifyHttpOptions<Server> = { frameworkErrors: replyFrameworkError, clientErrorHandler: replyClientError };

/**
 * Builds the gateway app, initialised but not listening: what main.ts does by hand until the
 * service kit's bootstrap takes over (which then only needs GatewayModule.forRoot(...) and
 * setupGatewayOpenApi(app)). Tests boot it the same way.
 */
export const createGatewayApp = async (options: GatewayModuleOptions, nestLogger: false | ('error' | 'warn' | 'log')[] = ['error', 'warn']) => {
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(options), new FastifyAdapter({ ...HTTP_OPTIONS, trustProxy: options.config.trustProxy ?? false }), { logger: nestLogger });
  app.useGlobalFilters(new ProblemDetailsFilter(app.get(HttpAdapterHost), app.get<StructuredLogger>(GATEWAY_LOGGER)));
  setupGatewayOpenApi(app);
  await app.init();
  return app;
};
