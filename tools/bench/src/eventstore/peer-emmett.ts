import { dumbo, setNodePostgresTypeParser, type SQLExecutor } from '@event-driven-io/dumbo';
import type { ExpectedStreamVersion } from '@event-driven-io/emmett';
import {
  getPostgreSQLEventStore,
  PostgreSQLEventStoreDefaultStreamVersion,
  readMessagesBatch,
  type PostgresEventStore as EmmettEventStore,
} from '@event-driven-io/emmett-postgresql';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Pool } from 'pg';
import type { Latencies } from '../measure';
import type { Contender } from './contender';
import { captureTypeParsers, restoreTypeParsers, type TypeParsers } from './pg-type-parsers';
import { EVENTS_PER_GROWN_STREAM, GROWN_DATA, GROWN_FROM, growBy } from './grow';
import type { OrderEvent, StreamWork } from './orders';

/** The installed version, read from its package.json (which its `exports` do not expose). */
const installedVersion = (pkg: string): string => {
  let dir = path.dirname(require.resolve(pkg));
  while (dir !== path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === pkg && manifest.version) return manifest.version;
    } catch {
      // no package.json here: look further up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
};

export const PEER_NAME = `emmett-postgresql@${installedVersion('@event-driven-io/emmett-postgresql')}`;

export const PEER_READ_METHOD =
  'readMessagesBatch (exported by @event-driven-io/emmett-postgresql; what its consumers poll with): ' +
  'emt_messages where transaction_id < pg_snapshot_xmin(pg_current_snapshot()) and global_position > the last one, ' +
  'order by transaction_id, global_position, limit page size';

/**
 * The peer: Emmett's PostgreSQL event store (its own tables emt_streams / emt_messages in the
 * public schema of the same database), on its own pg pool of the same size as ours.
 */
export class EmmettContender implements Contender {
  readonly name = 'peer';
  /** Where this run's events start: after the events `grow` put in. */
  private from = 0n;

  private constructor(
    private readonly pool: Pool,
    private readonly store: EmmettEventStore,
    private readonly executor: SQLExecutor,
    private readonly parsers: { peer: TypeParsers; others: TypeParsers },
  ) {}

  static async create(url: string, poolSize: number): Promise<EmmettContender> {
    // Emmett's driver (dumbo) sets process-wide pg type parsers (bigint -> BigInt, its own JSON
    // reader). Keep ours for the other contenders and switch between them per phase.
    const others = captureTypeParsers();
    const pool = new Pool({ connectionString: url, max: poolSize });
    pool.on('error', () => undefined);
    try {
      const store = getPostgreSQLEventStore(url, { connectionOptions: { pool } });
      const executor = dumbo({ connectionString: url, pool }).execute;
      setNodePostgresTypeParser({ force: true });
      const peer = captureTypeParsers();
      await store.schema.migrate();
      restoreTypeParsers(others);
      return new EmmettContender(pool, store, executor, { peer, others });
    } catch (error) {
      restoreTypeParsers(others);
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  activate(): void {
    restoreTypeParsers(this.parsers.peer);
  }

  /** Restores the parsers the other contenders use. */
  deactivate(): void {
    restoreTypeParsers(this.parsers.others);
  }

  async appendOneByOne(work: StreamWork, latencies: Latencies): Promise<void> {
    // Version 0 is Emmett's "no stream": its append function then inserts the stream row, and a
    // stream that exists already fails on the primary key (our 'no_stream' check, in the same call).
    let expectedStreamVersion: ExpectedStreamVersion = PostgreSQLEventStoreDefaultStreamVersion;
    for (const event of work.events) {
      const result = await latencies.time(() =>
        this.store.appendToStream<OrderEvent>(work.streamId, [event], { expectedStreamVersion }),
      );
      expectedStreamVersion = result.nextExpectedStreamVersion;
    }
  }

  async appendBatch(work: StreamWork, latencies: Latencies): Promise<void> {
    await latencies.time(() =>
      this.store.appendToStream<OrderEvent>(work.streamId, work.events, {
        expectedStreamVersion: PostgreSQLEventStoreDefaultStreamVersion,
      }),
    );
  }

  /**
   * Straight into Emmett's tables, as ours and the limit are grown: whole streams of 10, each row as its
   * append function writes it. The partition, stream type, schema version, kind and metadata come from
   * one stream appended through Emmett first (its metadata with new ids a row), so the rows are the
   * ones an append would have left whatever this version of Emmett puts in them.
   */
  async grow(events: number): Promise<void> {
    const template = `grow-template-${randomUUID()}`;
    const placedAt = '1997-03-01T12:00:00Z';
    const event: OrderEvent = {
      type: 'OrderPlaced',
      data: { orderId: randomUUID(), customerId: randomUUID(), externalCustomerId: '1', placedAt, itemCount: 1, totalAmount: 12.49, currency: 'USD', channel: 'web' },
      metadata: { correlationId: randomUUID(), actor: 'bench', source: 'cdnow', occurredAt: placedAt },
    };
    await this.store.appendToStream<OrderEvent>(template, [event], { expectedStreamVersion: PostgreSQLEventStoreDefaultStreamVersion });
    const { rows } = await this.pool.query<{ partition: string; stream_type: string; message_schema_version: string; message_kind: string; message_metadata: unknown }>(
      `select m.partition, s.stream_type, m.message_schema_version, m.message_kind, m.message_metadata
         from emt_messages m join emt_streams s on s.stream_id = m.stream_id and s.partition = m.partition
        where m.stream_id = $1`,
      [template],
    );
    if (rows.length !== 1) throw new Error(`emmett: the template stream ${template} has ${rows.length} rows, not 1`);
    const row = rows[0];
    const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
    const last = EVENTS_PER_GROWN_STREAM;
    await growBy(
      this.pool,
      events,
      `with grown as (
         insert into emt_messages (stream_id, stream_position, partition, message_data, message_metadata, message_schema_version, message_type, message_kind, message_id, transaction_id)
         select s.stream_id, r.r + 1, ${literal(row.partition)}, ${GROWN_DATA},
                ${literal(JSON.stringify(row.message_metadata))}::jsonb || jsonb_build_object('messageId', gen_random_uuid(), 'correlationId', gen_random_uuid()),
                ${literal(row.message_schema_version)}, 'OrderPlaced', ${literal(row.message_kind)}, gen_random_uuid()::text, pg_current_xact_id()
           from ${GROWN_FROM}
         returning stream_id)
       insert into emt_streams (stream_id, stream_position, partition, stream_type, stream_metadata, is_archived)
       select distinct stream_id, ${last}, ${literal(row.partition)}, ${literal(row.stream_type)}, '{}'::jsonb, false from grown`,
      ['emt_messages', 'emt_streams'],
    );
    const { rows: end } = await this.pool.query<{ last: string }>(`select max(global_position)::text as last from emt_messages`);
    this.from = BigInt(end[0].last);
  }

  async readAll(pageSize: number, maxEvents = Infinity): Promise<number> {
    let after = this.from;
    let read = 0;
    for (;;) {
      const batch = await readMessagesBatch<OrderEvent>(this.executor, { after, batchSize: pageSize });
      read += batch.messages.length;
      after = batch.currentGlobalPosition;
      if (!batch.areMessagesLeft || read >= maxEvents) return read;
    }
  }

  async close(): Promise<void> {
    try {
      await this.store.close();
    } finally {
      this.deactivate();
      await this.pool.end().catch(() => undefined);
    }
  }
}
