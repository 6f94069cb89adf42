import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { Latencies } from '../measure';
import type { Contender } from './contender';
import type { OrderEvent, StreamWork } from './orders';
import { GROWN_DATA, GROWN_FROM, GROWN_METADATA, growBy } from './grow';

export const LIMIT_TABLE = 'bench_limit.events';

/**
 * The limit: the same rows as our events table (same columns, same defaults for the
 * transaction id, sequence and time) in a plain table with no constraint and no index,
 * written and read with the plainest SQL.
 */
export class LimitContender implements Contender {
  readonly name = 'limit';
  /** The last tuple `grow` put in: reads start after it (a TID range scan skips the grown part). */
  private grownUpTo: string | undefined;

  private constructor(private readonly pool: Pool) {}

  static async create(url: string, poolSize: number): Promise<LimitContender> {
    const pool = new Pool({ connectionString: url, max: poolSize });
    pool.on('error', () => undefined);
    await pool.query(`
      create schema if not exists bench_limit;
      create sequence if not exists bench_limit.events_seq;
      create table if not exists ${LIMIT_TABLE} (
        transaction_id xid8 default pg_current_xact_id(),
        seq bigint default nextval('bench_limit.events_seq'),
        event_id uuid,
        stream_id text,
        revision bigint,
        category text,
        type text,
        data jsonb,
        metadata jsonb,
        recorded_at timestamptz default now()
      );`);
    return new LimitContender(pool);
  }

  activate(): void {}

  deactivate(): void {}

  /** Single-row INSERTs, each its own (autocommit) transaction. */
  async appendOneByOne(work: StreamWork, latencies: Latencies): Promise<void> {
    const category = categoryOf(work.streamId);
    let revision = 0;
    for (const event of work.events) {
      await latencies.time(() =>
        this.pool.query(
          `insert into ${LIMIT_TABLE} (event_id, stream_id, revision, category, type, data, metadata)
           values ($1, $2, $3, $4, $5, $6, $7)`,
          [randomUUID(), work.streamId, revision++, category, event.type, JSON.stringify(event.data), metadataJson(event)],
        ),
      );
    }
  }

  /** One multi-row INSERT of the whole batch (arrays unnested), autocommit. */
  async appendBatch(work: StreamWork, latencies: Latencies): Promise<void> {
    const events = work.events;
    await latencies.time(() =>
      this.pool.query(
        `insert into ${LIMIT_TABLE} (event_id, stream_id, revision, category, type, data, metadata)
         select i.id, $1, i.ord - 1, $2, i.type, i.data, i.metadata
           from unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) with ordinality as i(id, type, data, metadata, ord)`,
        [
          work.streamId,
          categoryOf(work.streamId),
          events.map(() => randomUUID()),
          events.map((e) => e.type),
          events.map((e) => JSON.stringify(e.data)),
          events.map(metadataJson),
        ],
      ),
    );
  }

  /** The same rows as appendToStreams writes (one event per stream, revision 0) in one multi-row INSERT, autocommit. */
  async appendToStreams(call: readonly StreamWork[], latencies: Latencies): Promise<void> {
    const events = call.map((work) => ({ streamId: work.streamId, event: work.events[0] }));
    await latencies.time(() =>
      this.pool.query(
        `insert into ${LIMIT_TABLE} (event_id, stream_id, revision, category, type, data, metadata)
         select i.id, i.stream_id, 0, i.category, i.type, i.data, i.metadata
           from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[])
                as i(id, stream_id, category, type, data, metadata)`,
        [
          events.map(() => randomUUID()),
          events.map((e) => e.streamId),
          events.map((e) => categoryOf(e.streamId)),
          events.map((e) => e.event.type),
          events.map((e) => JSON.stringify(e.event.data)),
          events.map((e) => metadataJson(e.event)),
        ],
      ),
    );
  }

  async grow(events: number): Promise<void> {
    await growBy(
      this.pool,
      events,
      `insert into ${LIMIT_TABLE} (event_id, stream_id, revision, category, type, data, metadata)
       select gen_random_uuid(), s.stream_id, r.r, 'order', 'OrderPlaced', ${GROWN_DATA}, ${GROWN_METADATA} from ${GROWN_FROM}`,
      [LIMIT_TABLE],
    );
    const { rows } = await this.pool.query<{ last: string }>(`select max(ctid)::text as last from ${LIMIT_TABLE}`);
    if (!/^\(\d+,\d+\)$/.test(rows[0].last)) throw new Error(`unexpected ctid ${rows[0].last}`);
    this.grownUpTo = rows[0].last;
  }

  /**
   * A plain sequential SELECT of the table (heap order, no ORDER BY: the table has no index to
   * keep order with) through a server-side cursor, FETCH `pageSize` rows per round trip, in one
   * read-only transaction.
   */
  async readAll(pageSize: number, maxEvents = Infinity): Promise<number> {
    const client = await this.pool.connect();
    let read = 0;
    try {
      await client.query('begin read only');
      await client.query(
        `declare all_events no scroll cursor for
           select event_id, stream_id, revision, transaction_id, seq, type, data, metadata, recorded_at from ${LIMIT_TABLE}
            ${this.grownUpTo ? `where ctid > '${this.grownUpTo}'::tid` : ''}`,
      );
      for (;;) {
        const { rowCount } = await client.query(`fetch forward ${pageSize} from all_events`);
        read += rowCount ?? 0;
        if ((rowCount ?? 0) < pageSize || read >= maxEvents) break;
      }
      await client.query('commit');
      return read;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

const categoryOf = (streamId: string): string => streamId.slice(0, streamId.indexOf('-'));
const metadataJson = (event: OrderEvent): string => JSON.stringify({ ...event.metadata, schemaVersion: 1 });
