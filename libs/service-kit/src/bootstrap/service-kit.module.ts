import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HealthModule, postgresReadiness, type ReadinessCheck } from '@clientela/platform';
import { PostgresEventStore } from '@clientela/event-store';
import { LocalProjectionWrites, projectionsReadiness, ReadYourWritesModule } from '@clientela/projections';
import { Aggregates, EVENT_STORE } from '../commands/aggregates';
import { METRICS_REGISTRY, MetricsController } from '../http/http-metrics';
import { watchEventStoreHorizon } from '../infrastructure/horizon-watch';
import type { ServiceInfrastructure } from '../infrastructure/service-infrastructure';
import type { ServiceDefinition } from './service-definition';
import type { ServiceRuntime } from './service-runtime';

export const PG_POOL = Symbol('clientela:pg-pool');
export const SERVICE_INFRASTRUCTURE = Symbol('clientela:service-infrastructure');

/**
 * What every service's feature modules can inject: the event store, the pool, `Aggregates` (the
 * write path), `LocalProjectionWrites` (whether this process alone writes some read models), the CommandBus and QueryBus, TypeORM repositories; plus /health, /metrics and the
 * relay and projection runners, the same in every service.
 */
@Global()
@Module({})
export class ServiceKitModule {
  static forRoot(infra: ServiceInfrastructure, definition: ServiceDefinition, runtime: ServiceRuntime): DynamicModule {
    const projections = definition.projections ?? [];
    const checks: ReadinessCheck[] = [
      postgresReadiness(infra.pool),
      ...(infra.store instanceof PostgresEventStore ? [watchEventStoreHorizon(infra.pool, infra.metrics)] : []),
      ...(projections.length > 0 ? [projectionsReadiness(infra.pool, infra.store, projections)] : []),
      ...runtime.readiness(),
    ];
    return {
      module: ServiceKitModule,
      imports: [
        CqrsModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: infra.databaseUrl,
          applicationName: `clientela-${infra.service}-typeorm`,
          entities: [...(definition.entities ?? [])] as Type[],
          migrations: [...(definition.migrations ?? [])] as Type[],
          migrationsRun: true,
          migrationsTableName: `typeorm_migrations_${infra.service.replace(/[^a-z0-9_]/g, '_')}`,
          synchronize: false,
          logging: false,
        }),
        ReadYourWritesModule.forRoot({ pool: infra.pool }),
        HealthModule.forRoot({ checks }),
      ],
      controllers: [MetricsController],
      providers: [
        { provide: SERVICE_INFRASTRUCTURE, useValue: infra },
        { provide: EVENT_STORE, useValue: infra.store },
        { provide: PG_POOL, useValue: infra.pool },
        { provide: METRICS_REGISTRY, useValue: infra.metrics },
        { provide: LocalProjectionWrites, useValue: runtime.localWrites },
        Aggregates,
      ],
      exports: [SERVICE_INFRASTRUCTURE, EVENT_STORE, PG_POOL, METRICS_REGISTRY, LocalProjectionWrites, Aggregates, CqrsModule],
    };
  }
}
