import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { urlForLog, type PlatformConfig, type StructuredLogger } from '@clientela/platform';
import { instrumentHttp, METRICS_REGISTRY } from '@clientela/service-kit';
import { contextOf } from './request-context';
import { ApiKeysService } from './api-keys/api-keys.service';
import { PLATFORM_CONFIG } from './admin/admin-connections';
import { registerGatewayHooks } from './gateway-hooks';
import { registerProxyRoutes } from './routing/proxy';
import type { UpstreamPools } from './routing/upstream-pools';
import type { RateLimits } from './rate-limits/rate-limits';
import type { BearerTokens } from './bearer-tokens/bearer-tokens';
import { BEARER_TOKENS, GATEWAY_LOGGER, RATE_LIMITS, ROUTE_TABLE, UPSTREAM_POOLS } from './tokens';

/**
 * Puts the gateway's hooks and proxy routes on the Fastify instance under Nest
 * (`HttpAdapterHost.httpAdapter.getInstance()`), at module init: Nest's routes are registered by
 * then and Fastify is not yet ready, so both still take new hooks and routes.
 */
@Injectable()
export class GatewayHttp implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private closing = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly keys: ApiKeysService,
    @Inject(UPSTREAM_POOLS) private readonly pools: UpstreamPools,
    @Inject(ROUTE_TABLE) private readonly routes: Readonly<Record<string, string>>,
    @Inject(GATEWAY_LOGGER) private readonly logger: StructuredLogger,
    @Inject(METRICS_REGISTRY) private readonly metrics: Registry,
    @Inject(RATE_LIMITS) private readonly limits: RateLimits | null,
    @Inject(BEARER_TOKENS) private readonly tokens: BearerTokens | null,
    @Inject(PLATFORM_CONFIG) private readonly platform: PlatformConfig | null,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') throw new Error('the gateway runs on @nestjs/platform-fastify (FastifyAdapter)');
    const fastify = adapter.getInstance<FastifyInstance>();
    registerGatewayHooks(fastify, { keys: this.keys, logger: this.logger, ...(this.limits ? { limits: this.limits } : {}), ...(this.tokens ? { tokens: this.tokens } : {}) });
    instrumentHttp(fastify, this.metrics);
    // One hook, with a callback: each async hook is a promise and a turn of the microtask queue per request.
    fastify.addHook('onResponse', (request, reply, done) => {
      // Below `info` only failures are logged: no line to build for the others.
      if (reply.statusCode >= 500 || this.logger.isLevelEnabled('info')) {
        const fields = { method: request.method, url: urlForLog(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime), ...contextOf(request)?.ids };
        if (reply.statusCode >= 500) this.logger.error('request failed', fields);
        else this.logger.info('request', fields);
      }
      // Closing the server only closes connections idle at that moment; one whose response ends
      // later would stay open for the keep-alive timeout and hold the shutdown that long.
      if (this.closing) request.raw.socket?.destroySoon();
      done();
    });
    const gatewaySecret = this.platform?.gatewaySecret;
    registerProxyRoutes(fastify, { pools: this.pools, routes: this.routes, logger: this.logger, ...(gatewaySecret ? { gatewaySecret } : {}) });
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pools.close();
  }
}
