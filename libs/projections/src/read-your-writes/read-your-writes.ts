import {
  applyDecorators,
  Inject,
  Injectable,
  Module,
  SetMetadata,
  type OnModuleDestroy,
  UseGuards,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { parsePosition, UnavailableError, type Position } from '@clientela/contracts';
import type { Pool } from 'pg';
import { ProjectionPositionWaiter } from './projection-position-waiter';

export const MIN_POSITION_HEADER = 'x-min-position';
const READS_FROM = Symbol('clientela:reads-from');
export const READ_YOUR_WRITES_OPTIONS = Symbol('clientela:read-your-writes-options');

export interface ReadYourWritesOptions {
  waiter: ProjectionPositionWaiter;
  /** How long a read waits for its projections. Default 5000 ms. */
  timeoutMs?: number;
}

/** A read that waited its limit for projections that had not reached the requested position: 503. */
export class ProjectionNotCaughtUpError extends UnavailableError {
  override readonly code = 'projection_behind';
  constructor(
    readonly projections: readonly string[],
    readonly minPosition: string,
    waitedMs: number,
  ) {
    super(`read model ${projections.join(', ')} has not reached position ${minPosition} after ${waitedMs} ms; retry later`, 1);
  }
  override details(): Record<string, unknown> {
    return { projections: this.projections, minPosition: this.minPosition };
  }
}

/**
 * A guard rather than an interceptor: a request without the header answers `true` at once, where any
 * interceptor puts the route through Nest's rxjs pipeline (defer, mergeAll, AsyncResource.bind per call).
 */
@Injectable()
export class ReadYourWritesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(READ_YOUR_WRITES_OPTIONS) private readonly options: ReadYourWritesOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers[MIN_POSITION_HEADER];
    if (header === undefined) return true;
    const projections = this.reflector.getAllAndOverride<string[] | undefined>(READS_FROM, [context.getHandler(), context.getClass()]);
    if (!projections?.length) return true;
    return this.waitFor(projections, parsePosition(Array.isArray(header) ? header[0] : header, 'X-Min-Position'));
  }

  private async waitFor(projections: string[], minPosition: Position): Promise<boolean> {
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    if (!(await this.options.waiter.waitFor(projections, minPosition, timeoutMs))) throw new ProjectionNotCaughtUpError(projections, minPosition.toString(), timeoutMs);
    return true;
  }
}

/**
 * Declares the projections a route reads from. A request with `X-Min-Position` then waits
 * until all of them have passed that position (or gets 503 problem+json with Retry-After).
 */
export const ReadYourWrites = (...projections: string[]) =>
  applyDecorators(SetMetadata(READS_FROM, projections), UseGuards(ReadYourWritesGuard));

/** Registers the waiter once per app: `ReadYourWritesModule.forRoot({ pool, timeoutMs })`. */
@Module({})
export class ReadYourWritesModule implements OnModuleDestroy {
  constructor(@Inject(READ_YOUR_WRITES_OPTIONS) private readonly options: ReadYourWritesOptions) {}

  async onModuleDestroy(): Promise<void> {
    await this.options.waiter.close();
  }

  static forRoot(options: { pool: Pool; timeoutMs?: number; registrySchema?: string }): DynamicModule {
    return {
      module: ReadYourWritesModule,
      global: true,
      providers: [
        {
          provide: READ_YOUR_WRITES_OPTIONS,
          useFactory: (): ReadYourWritesOptions => ({
            waiter: new ProjectionPositionWaiter(options.pool, { registrySchema: options.registrySchema }),
            timeoutMs: options.timeoutMs,
          }),
        },
        ReadYourWritesGuard,
      ],
      exports: [READ_YOUR_WRITES_OPTIONS, ReadYourWritesGuard],
    };
  }
}
