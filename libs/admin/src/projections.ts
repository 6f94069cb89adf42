import { NotFoundError, formatPosition } from '@clientela/contracts';
import type { ProjectionStatus } from '@clientela/projections';
import type { AdminConnections } from './connections';

/** A projection's status as JSON (positions as decimal strings, dates as ISO). */
export interface ProjectionStatusJson {
  name: string;
  version: number;
  status: string;
  position: string;
  lagEvents: number;
  lagSeconds: number;
  eventsPerSecond: number;
  eventsApplied: number;
  deadLetters: number;
  lastError?: { message: string; at: string };
  owner?: string;
  /** While a rebuild runs: events read into the new copy, and the share of the store read (0..1). */
  rebuild?: { version: number; events: number; progress: number; startedAt: string };
  rebuildRequestedAt?: string;
  updatedAt: string;
}

/** `progress`: the share of the store a running rebuild has read, as its runner's own gauge counts it (rebuildProgress). */
export const toStatusJson = (s: ProjectionStatus, progress = 0): ProjectionStatusJson => ({
  name: s.name,
  version: s.version,
  status: s.status,
  position: formatPosition(s.position),
  lagEvents: s.lagEvents,
  lagSeconds: Math.round(s.lagSeconds * 10) / 10,
  eventsPerSecond: Math.round(s.eventsPerSecond),
  eventsApplied: s.eventsApplied,
  deadLetters: s.deadLetters,
  ...(s.lastError ? { lastError: { message: s.lastError.message, at: s.lastError.at.toISOString() } } : {}),
  ...(s.owner ? { owner: s.owner } : {}),
  ...(s.rebuild ? { rebuild: { version: s.rebuild.version, events: s.rebuild.events, progress, startedAt: s.rebuild.startedAt.toISOString() } } : {}),
  ...(s.rebuildRequestedAt ? { rebuildRequestedAt: s.rebuildRequestedAt.toISOString() } : {}),
  updatedAt: s.updatedAt.toISOString(),
});

/** Every projection the registry knows, with lag in events (counted up to 100,000) and seconds. */
/** Loaded when used, as the CLI's other heavy dependencies: libs/projections brings Nest with it. */
const projectionsLib = () => import('@clientela/projections');
const DEFAULT_REGISTRY_SCHEMA = 'projections';

export const projectionStatuses = async (connections: AdminConnections, name?: string): Promise<ProjectionStatusJson[]> => {
  const { getProjectionStatus, migrateRegistry, rebuildProgress, registeredProjections } = await projectionsLib();
  await migrateRegistry(connections.pool, DEFAULT_REGISTRY_SCHEMA);
  const all = await registeredProjections(connections.pool);
  const wanted = name ? all.filter((p) => p.name === name) : all;
  if (name && wanted.length === 0) throw new NotFoundError(`no projection named ${name} has run on this database (known: ${all.map((p) => p.name).join(', ') || 'none'})`);
  const statuses = await getProjectionStatus(connections.pool, connections.store, wanted);
  return Promise.all(
    statuses.map(async (status) => {
      if (!status.rebuild) return toStatusJson(status);
      const projection = wanted.find((p) => p.name === status.name)!;
      const filter = { eventTypes: projection.eventTypes, ...(projection.categories ? { categories: projection.categories } : {}) };
      const first = (await connections.store.readAll({ maxCount: 1, filter, raw: true })).events[0]?.position ?? status.rebuild.head;
      return toStatusJson(status, rebuildProgress(first, status.rebuild.head, status.rebuild.position));
    }),
  );
};

/** Asks the projection's active runner, wherever it runs, to build a new copy beside the live one and swap it in. */
export const rebuildProjection = async (connections: AdminConnections, name: string): Promise<ProjectionStatusJson> => {
  const { migrateRegistry, requestProjectionRebuild } = await projectionsLib();
  await migrateRegistry(connections.pool, DEFAULT_REGISTRY_SCHEMA);
  if (!(await requestProjectionRebuild(connections.pool, name))) {
    throw new NotFoundError(`no projection named ${name} has run on this database`);
  }
  return (await projectionStatuses(connections, name))[0];
};

/**
 * Clears what went wrong (the last error and the events parked in its dead letters), then rebuilds:
 * the new copy applies every event again, and parks anew only those that still fail.
 */
export const resetProjection = async (connections: AdminConnections, name: string): Promise<ProjectionStatusJson & { clearedDeadLetters: number }> => {
  const { migrateRegistry } = await projectionsLib();
  await migrateRegistry(connections.pool, DEFAULT_REGISTRY_SCHEMA);
  const registry = DEFAULT_REGISTRY_SCHEMA;
  const client = await connections.pool.connect();
  let cleared = 0;
  try {
    await client.query('begin');
    const { rowCount } = await client.query(`update ${registry}.state set last_error = null, last_error_at = null where name = $1`, [name]);
    if (rowCount !== 1) throw new NotFoundError(`no projection named ${name} has run on this database`);
    cleared = (await client.query(`delete from ${registry}.dead_letters where projection = $1`, [name])).rowCount ?? 0;
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return { ...(await rebuildProjection(connections, name)), clearedDeadLetters: cleared };
};
