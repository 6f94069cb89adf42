import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { createLogger, HealthModule, postgresReadiness, type ReadinessCheck, type StructuredLogger } from '@clientela/platform';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS_REGISTRY, MetricsController } from '@clientela/service-kit';
import { LazyAdminConnections, PLATFORM_CONFIG } from './admin/admin-connections';
import { AdminOperationsController } from './admin/admin-operations.controller';
import { ApiKeyEntity } from './api-keys/api-key.entity';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { API_KEYS_OPTIONS, ApiKeysService, type ApiKeysOptions } from './api-keys/api-keys.service';
import { CreateApiKeys1764620000000 } from './api-keys/migrations/1764620000000-create-api-keys';
import { ApiKeyRateLimits1764960000000 } from './api-keys/migrations/1764960000000-api-key-rate-limits';
import type { GatewayConfig } from './config/gateway-config';
import { GatewayHttp } from './gateway-http';
import { serviceReadiness } from './health/service-readiness';
import { OpenApiAggregator } from './openapi/openapi-aggregator';
import { ROUTES } from './routing/routes';
import { UpstreamPools } from './routing/upstream-pools';
import { RateLimits } from './rate-limits/rate-limits';
import { BearerTokens } from './bearer-tokens/bearer-tokens';
import { BEARER_TOKENS, GATEWAY_LOGGER, RATE_LIMITS, ROUTE_TABLE, UPSTREAM_POOLS } from './tokens';

export interface GatewayModuleOptions {
  config: GatewayConfig;
  /** Defaults to a pino logger named `gateway` at the config's level. */
  logger?: StructuredLogger;
  /** Defaults to routes.ts; tests may pass their own. */
  routes?: Readonly<Record<string, string>>;
}

/** The gateway's Prometheus registry: HTTP latency and status per route (see instrumentHttp), and the process's own. */
const gatewayMetrics = (): Registry => {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'gateway' });
  collectDefaultMetrics({ register: registry });
  return registry;
};

/** The gateway's own tables live in schema `gateway`, its migrations table too; migrations run at start, never `synchronize`. */
export const gatewayDataSourceOptions = (databaseUrl: string): DataSourceOptions => ({
  type: 'postgres',
  url: databaseUrl,
  schema: 'gateway',
  entities: [ApiKeyEntity],
  migrations: [CreateApiKeys1764620000000, ApiKeyRateLimits1764960000000],
  migrationsTableName: 'migrations',
  synchronize: false,
  extra: { max: 5 },
});

/**
 * The whole gateway: API keys (entity, migration, admin API), the credentials and request-id
 * hooks, the proxy routes, readiness of PostgreSQL and of every service. Needs a Nest app on
 * FastifyAdapter with the ProblemDetailsFilter installed globally; the merged OpenAPI document is
 * served once `setupGatewayOpenApi(app)` is called.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: GatewayModuleOptions): DynamicModule {
    const { config } = options;
    const logger = options.logger ?? createLogger({ name: 'gateway', level: config.logLevel });
    const pools = new UpstreamPools(config.services, config.upstream);
    const database: { dataSource?: DataSource } = {};
    const checks: ReadinessCheck[] = [
      {
        name: 'postgres',
        check: () =>
          database.dataSource?.isInitialized
            ? postgresReadiness((database.dataSource.driver as PostgresDriver).master as Pool).check()
            : { status: 'down', details: { error: 'not connected' } },
      },
      ...pools.services.map((service) => serviceReadiness(service, pools.pool(service)!)),
    ];
    const apiKeysOptions: ApiKeysOptions = {
      cacheTtlMs: config.apiKeyCacheTtlMs,
      ...(config.adminApiKey ? { adminApiKey: config.adminApiKey } : {}),
    };
    return {
      module: GatewayModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => gatewayDataSourceOptions(config.databaseUrl),
          dataSourceFactory: async (dataSourceOptions) => {
            const dataSource = await new DataSource(dataSourceOptions!).initialize();
            // The migrations table lives in the schema, which the first migration cannot make in time.
            await dataSource.query('create schema if not exists gateway');
            await dataSource.runMigrations({ transaction: 'each' });
            database.dataSource = dataSource;
            return dataSource;
          },
        }),
        TypeOrmModule.forFeature([ApiKeyEntity]),
        HealthModule.forRoot({ checks }),
      ],
      controllers: [ApiKeysController, AdminOperationsController, MetricsController],
      providers: [
        { provide: GATEWAY_LOGGER, useValue: logger },
        { provide: METRICS_REGISTRY, useValue: gatewayMetrics() },
        { provide: UPSTREAM_POOLS, useValue: pools },
        { provide: ROUTE_TABLE, useValue: options.routes ?? ROUTES },
        { provide: API_KEYS_OPTIONS, useValue: apiKeysOptions },
        { provide: PLATFORM_CONFIG, useValue: config.platform ?? null },
        { provide: RATE_LIMITS, useValue: config.rateLimits ? new RateLimits(config.rateLimits) : null },
        { provide: BEARER_TOKENS, useValue: config.bearerTokens ? new BearerTokens(config.bearerTokens) : null },
        LazyAdminConnections,
        ApiKeysService,
        GatewayHttp,
        OpenApiAggregator,
      ],
      exports: [UPSTREAM_POOLS, ROUTE_TABLE, GATEWAY_LOGGER, OpenApiAggregator],
    };
  }
}
