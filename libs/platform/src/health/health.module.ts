import { Controller, Get, Inject, Module, type DynamicModule } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ReadinessCheck } from './readiness';

export const READINESS_CHECKS = Symbol('clientela:readiness-checks');

/**
 * `GET /health/live`: the process answers. `GET /health/ready`: every dependency and
 * component answers (PostgreSQL, Kafka, consumers, projection lag); 503 problem+json naming
 * what is down otherwise.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[],
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      this.checks.map((readiness) => async (): Promise<HealthIndicatorResult> => {
        const indicator = this.indicators.check(readiness.name);
        const result = await Promise.resolve(readiness.check()).catch((error: unknown) => ({
          status: 'down' as const,
          details: { error: error instanceof Error ? error.message : String(error) },
        }));
        return result.status === 'up' ? indicator.up(result.details) : indicator.down(result.details);
      }),
    );
  }
}

@Module({})
export class HealthModule {
  static forRoot(options: { checks: readonly ReadinessCheck[] }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECKS, useValue: options.checks }],
    };
  }
}
