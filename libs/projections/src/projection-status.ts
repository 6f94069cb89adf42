import type { Pool } from 'pg';
import { START, type Position } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import type { ReadinessCheck } from '@clientela/platform';
import { assertRegistrySchema, DEFAULT_REGISTRY_SCHEMA } from './registry';
import type { Projection } from './projection';
import type { ProjectionMetrics } from './projection-metrics';

export interface ProjectionStatus {
  name: string;
  version: number;
  status: string;
  position: Position;
  /** Events the projection handles that it has not applied yet (counted up to `lagLimit`). */
  lagEvents: number;
  /** Age of the oldest of them; 0 when caught up. */
  lagSeconds: number;
  eventsPerSecond: number;
  eventsApplied: number;
  lastError?: { message: string; at: Date };
  owner?: string;
  rebuild?: { version: number; position: Position; head: Position; events: number; startedAt: Date };
  /** A rebuild was asked for (requestProjectionRebuild) and its swap has not happened yet. */
  rebuildRequestedAt?: Date;
  deadLetters: number;
  updatedAt: Date;
}

interface StateRow {
  name: string;
  version: number;
  status: string;
  position: string;
  events_per_second: number;
  events_applied: string;
  last_error: string | null;
  last_error_at: Date | null;
  owner: string | null;
  rebuild_version: number | null;
  rebuild_position: string | null;
  rebuild_head: string | null;
  rebuild_events: string | null;
  rebuild_started_at: Date | null;
  rebuild_requested_at: Date | null;
  updated_at: Date;
  dead_letters: string;
}

export interface StatusOptions {
  registrySchema?: string;
  /** Counting lag stops here; a larger lag reads as this number. Default 100,000. */
  lagLimit?: number;
  metrics?: ProjectionMetrics;
}

/**
 * Status of projections as the registry and the store tell it, from any process (the CLI and
 * the admin API use it): position, lag in events and seconds, rate, last error, rebuild progress.
 */
export const getProjectionStatus = async (
  pool: Pool,
  store: EventStore,
  projections: readonly Pick<Projection, 'name' | 'eventTypes' | 'categories'>[],
  options: StatusOptions = {},
): Promise<ProjectionStatus[]> => {
  const registry = assertRegistrySchema(options.registrySchema ?? DEFAULT_REGISTRY_SCHEMA);
  const { rows } = await pool.query<StateRow>(
    `select s.*, s.position::text as position, s.rebuild_position::text as rebuild_position, s.rebuild_head::text as rebuild_head,
            (select count(*) from ${registry}.dead_letters d where d.projection = s.name) as dead_letters
       from ${registry}.state s where s.name = any($1::text[]) order by s.name`,
    [projections.map((p) => p.name)],
  );
  const limit = options.lagLimit ?? 100_000;
  return Promise.all(
    rows.map(async (row) => {
      const projection = projections.find((p) => p.name === row.name);
      const position = BigInt(row.position);
      const filter = { eventTypes: projection?.eventTypes ?? [], ...(projection?.categories ? { categories: projection.categories } : {}) };
      const pending = await store.readAll({ fromPosition: position, maxCount: Math.min(limit, 10_000), filter });
      let lagEvents = pending.events.length;
      let next = pending;
      while (!next.isEnd && lagEvents < limit) {
        next = await store.readAll({ fromPosition: next.nextPosition, maxCount: Math.min(limit - lagEvents, 10_000), filter });
        lagEvents += next.events.length;
      }
      const oldest = pending.events[0];
      const lagSeconds = oldest ? Math.max(0, (Date.now() - oldest.recordedAt.getTime()) / 1000) : 0;
      options.metrics?.lagEvents.set({ projection: row.name }, lagEvents);
      options.metrics?.lagSeconds.set({ projection: row.name }, lagSeconds);
      const status: ProjectionStatus = {
        name: row.name,
        version: row.version,
        status: row.status,
        position,
        lagEvents,
        lagSeconds,
        eventsPerSecond: row.events_per_second,
        eventsApplied: Number(row.events_applied),
        deadLetters: Number(row.dead_letters),
        updatedAt: row.updated_at,
        ...(row.owner ? { owner: row.owner } : {}),
        ...(row.rebuild_requested_at ? { rebuildRequestedAt: row.rebuild_requested_at } : {}),
        ...(row.last_error && row.last_error_at ? { lastError: { message: row.last_error, at: row.last_error_at } } : {}),
        ...(row.rebuild_version != null && row.rebuild_started_at
          ? {
              rebuild: {
                version: row.rebuild_version,
                position: BigInt(row.rebuild_position ?? '0'),
                head: BigInt(row.rebuild_head ?? '0'),
                events: Number(row.rebuild_events ?? 0),
                startedAt: row.rebuild_started_at,
              },
            }
          : {}),
      };
      return status;
    }),
  );
};

/**
 * Every projection in the registry with the filter its runner recorded: what a process without the
 * projections' code (the CLI, the gateway's admin API) passes to getProjectionStatus.
 */
export const registeredProjections = async (
  pool: Pool,
  registrySchema = DEFAULT_REGISTRY_SCHEMA,
): Promise<Array<Pick<Projection, 'name' | 'eventTypes' | 'categories'>>> => {
  const registry = assertRegistrySchema(registrySchema);
  const { rows } = await pool.query<{ name: string; filter: { eventTypes?: string[]; categories?: string[] } | null }>(
    `select name, filter from ${registry}.state order by name`,
  );
  return rows.map((row) => ({
    name: row.name,
    eventTypes: row.filter?.eventTypes ?? [],
    ...(row.filter?.categories ? { categories: row.filter.categories } : {}),
  }));
};

/** The checkpoint of each named projection (START for one never run). */
export const getProjectionPositions = async (
  pool: Pool,
  names: readonly string[],
  registrySchema = DEFAULT_REGISTRY_SCHEMA,
): Promise<Map<string, Position>> => {
  const registry = assertRegistrySchema(registrySchema);
  const { rows } = await pool.query<{ name: string; position: string }>(
    `select name, position::text from ${registry}.state where name = any($1::text[])`,
    [[...names]],
  );
  const positions = new Map<string, Position>(names.map((n) => [n, START]));
  for (const row of rows) positions.set(row.name, BigInt(row.position));
  return positions;
};

/**
 * A readiness check (`GET /health/ready`, libs/platform HealthModule) over projections: down
 * when one has failed, stopped, or lags more than `maxLagSeconds` (default 30). Lag in events is
 * counted up to `lagLimit` (default 1,000 here).
 */
export const projectionsReadiness = (
  pool: Pool,
  store: EventStore,
  projections: readonly Pick<Projection, 'name' | 'eventTypes' | 'categories'>[],
  options: StatusOptions & { maxLagSeconds?: number } = {},
): ReadinessCheck => ({
  name: 'projections',
  check: async () => {
    // Probes come every few seconds: count a lag only this far (the seconds tell the rest).
    const statuses = await getProjectionStatus(pool, store, projections, { lagLimit: 1_000, ...options });
    const maxLag = options.maxLagSeconds ?? 30;
    const missing = projections.filter((p) => !statuses.some((s) => s.name === p.name)).map((p) => p.name);
    const unhealthy = statuses.filter((s) => s.status === 'failed' || s.status === 'stopped' || s.lagSeconds > maxLag);
    const details = Object.fromEntries([
      ...statuses.map((s) => [s.name, { status: s.status, lagEvents: s.lagEvents, lagSeconds: s.lagSeconds, position: s.position.toString(), ...(s.lastError ? { lastError: s.lastError.message } : {}) }]),
      ...missing.map((name) => [name, { status: 'not started' }]),
    ]);
    return { status: unhealthy.length === 0 && missing.length === 0 ? 'up' : 'down', details };
  },
});
