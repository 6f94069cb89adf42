import { dumbo, setNodePostgresTypeParser, type SQLExecutor } from '@event-driven-io/dumbo';
import type { ExpectedStreamVersion } from '@event-driven-io/emmett';
import {
  getPostgreSQLEventStore,
  PostgreSQLEventStoreDefaultStreamVersion,
  readMessagesBatch,
  type PostgresEventStore as EmmettEventStore,
} from '@event-driven-io/emmett-postgresql';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Pool } from 'pg';
import type { Latencies } from '../measure';
import type { Contender } from './contender';
import { captureTypeParsers, restoreTypeParsers, type TypeParsers } from './pg-type-parsers';
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

  async readAll(pageSize: number, maxEvents = Infinity): Promise<number> {
    let after = 0n;
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
