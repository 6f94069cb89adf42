import { formatPosition, START, toEnvelopeJson, ValidationError, type EventEnvelopeJson, type Position } from '@clientela/contracts';
import type { EventFilter } from '@clientela/event-store';
import type { AdminConnections } from './connections';

const EVENT_STORE_SCHEMA = 'event_store';

/** What `streams stats` and `GET /api/v1/admin/streams/stats` answer. */
export interface StoreStatistics {
  events: number;
  streams: number;
  headPosition: string;
  /** Tables and indexes of the event store, in bytes. */
  sizeOnDiskBytes: number;
  categories: Array<{ category: string; streams: number; events: number }>;
  types: Array<{ type: string; events: number }>;
}

export interface CategoryCount {
  category: string;
  streams: number;
  events: number;
}

export interface StreamSummary {
  streamId: string;
  category: string;
  /** Events written to it (its revision + 1), hidden ones included. */
  events: number;
  deleted: boolean;
  updatedAt: string;
}

/** Statistics read straight from PostgreSQL's tables: the port has no such question (EventStoreDB keeps its own in `$stats`). */
const requirePostgresStore = (connections: AdminConnections, what: string): void => {
  if (connections.config.eventStore.kind !== 'postgres') {
    throw new ValidationError(`${what} reads the PostgreSQL event store's tables; with EVENT_STORE=eventstoredb use its own UI ($stats, $streams)`);
  }
};

export const storeStatistics = async (connections: AdminConnections): Promise<StoreStatistics> => {
  requirePostgresStore(connections, 'streams stats');
  const s = EVENT_STORE_SCHEMA;
  const [categories, types, size, head] = await Promise.all([
    connections.pool.query<{ category: string; streams: string; events: string }>(
      `select c.category, c.streams, coalesce(e.events, 0) as events
         from (select category, count(*) as streams from ${s}.streams group by category) c
         left join (select category, count(*) as events from ${s}.events group by category) e using (category)
        order by c.category`,
    ),
    connections.pool.query<{ type: string; events: string }>(`select type, count(*) as events from ${s}.events group by type order by type`),
    connections.pool.query<{ bytes: string }>(
      `select coalesce(sum(pg_total_relation_size(c.oid)), 0) as bytes
         from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'`,
      [s],
    ),
    connections.store.headPosition(),
  ]);
  const byCategory = categories.rows.map((r) => ({ category: r.category, streams: Number(r.streams), events: Number(r.events) }));
  return {
    events: byCategory.reduce((sum, c) => sum + c.events, 0),
    streams: byCategory.reduce((sum, c) => sum + c.streams, 0),
    headPosition: formatPosition(head),
    sizeOnDiskBytes: Number(size.rows[0]?.bytes ?? 0),
    categories: byCategory,
    types: types.rows.map((r) => ({ type: r.type, events: Number(r.events) })),
  };
};

/** Streams of one category (keyset by stream id), or, without a category, every category with its counts. */
export const listStreams = async (
  connections: AdminConnections,
  options: { category?: string; after?: string; limit?: number } = {},
): Promise<CategoryCount[] | StreamSummary[]> => {
  requirePostgresStore(connections, 'streams list');
  const s = EVENT_STORE_SCHEMA;
  if (!options.category) {
    const { rows } = await connections.pool.query<{ category: string; streams: string; events: string }>(
      `select category, count(*) as streams, sum(revision + 1) as events from ${s}.streams group by category order by category`,
    );
    return rows.map((r) => ({ category: r.category, streams: Number(r.streams), events: Number(r.events) }));
  }
  const { rows } = await connections.pool.query<{ stream_id: string; category: string; revision: string; deleted: boolean; updated_at: Date }>(
    `select stream_id, category, revision, deleted or tombstoned as deleted, updated_at from ${s}.streams
      where category = $1 and stream_id > $2 order by stream_id limit $3`,
    [options.category, options.after ?? '', options.limit ?? 100],
  );
  return rows.map((r) => ({ streamId: r.stream_id, category: r.category, events: Number(r.revision) + 1, deleted: r.deleted, updatedAt: r.updated_at.toISOString() }));
};

export const readStreamEvents = async (connections: AdminConnections, streamId: string, options: { from?: number; limit?: number } = {}): Promise<EventEnvelopeJson[]> =>
  (await connections.store.readStream(streamId, { from: options.from ?? 'start', maxCount: options.limit ?? 1_000 })).map(toEnvelopeJson);

/** A range of the whole store: positions (after `fromPosition`, up to and including `toPosition`), times, categories, types. */
export interface EventRange {
  fromPosition?: Position;
  toPosition?: Position;
  since?: Date;
  until?: Date;
  categories?: string[];
  types?: string[];
}

export const filterOf = (range: EventRange): EventFilter => ({
  ...(range.categories?.length ? { categories: range.categories } : {}),
  ...(range.types?.length ? { eventTypes: range.types } : {}),
});

export const inTimeRange = (range: EventRange, recordedAt: Date): boolean =>
  (!range.since || recordedAt >= range.since) && (!range.until || recordedAt < range.until);

/**
 * The events of a range, page by page, as stored (not upcast): one page in memory at a time, so a
 * million events pass in constant memory. `since`/`until` filter on the time each event was recorded.
 */
export async function* eventPages(
  connections: AdminConnections,
  range: EventRange,
  options: { pageSize?: number } = {},
): AsyncGenerator<{ events: EventEnvelopeJson[]; position: Position }> {
  const filter = filterOf(range);
  let from = range.fromPosition ?? START;
  for (;;) {
    const page = await connections.store.readAll({ fromPosition: from, maxCount: options.pageSize ?? 1_000, filter, raw: true });
    const last = range.toPosition;
    const events = page.events.filter((e) => (last === undefined || e.position <= last) && inTimeRange(range, e.recordedAt)).map(toEnvelopeJson);
    const passedEnd = last !== undefined && (page.events.some((e) => e.position > last) || page.nextPosition >= last);
    yield { events, position: page.nextPosition };
    if (page.isEnd || passedEnd) return;
    from = page.nextPosition;
  }
}
