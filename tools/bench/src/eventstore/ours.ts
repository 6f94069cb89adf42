import { Pool } from 'pg';
import { START, type Position } from '@clientela/contracts';
import { packPosition, PostgresEventStore, type ExpectedRevision } from '@clientela/event-store';
import { DataKeyRing, generateMasterKey, migrateDataKeys, parseMasterKeys, PersonalDataProtection } from '@clientela/personal-data';
import type { Latencies } from '../measure';
import type { Contender } from './contender';
import { GROWN_DATA, GROWN_FROM, GROWN_METADATA, growBy, EVENTS_PER_GROWN_STREAM } from './grow';
import { benchCatalogue, sealedBenchCatalogue, type StreamWork } from './orders';

export const OURS_SCHEMA = 'event_store';
export const SEALED_SCHEMA = 'event_store_sealed';
const SEALED_KEYS_SCHEMA = 'privacy_bench';

/**
 * Our PostgresEventStore (@clientela/event-store), as the services use it; `sealed`: with personal
 * data sealed (the customer's CDNOW id is personal there), keys in PostgreSQL, as a service with
 * CLIENTELA_MASTER_KEY runs it.
 */
export class OursContender implements Contender {
  /** Where this run's events start: after the events `grow` put in. */
  private from: Position = START;

  private constructor(
    readonly name: string,
    readonly store: PostgresEventStore,
    private readonly pool: Pool,
  ) {}

  static async create(url: string, poolSize: number, options: { sealed?: boolean } = {}): Promise<OursContender> {
    const pool = new Pool({ connectionString: url, max: poolSize });
    pool.on('error', () => undefined); // the database is dropped with force at the end
    if (!options.sealed) {
      return new OursContender('ours', await PostgresEventStore.create({ pool, catalogue: benchCatalogue(), schema: OURS_SCHEMA }), pool);
    }
    const catalogue = sealedBenchCatalogue();
    await migrateDataKeys(pool, SEALED_KEYS_SCHEMA);
    const keys = new DataKeyRing(pool, parseMasterKeys(generateMasterKey()), { schema: SEALED_KEYS_SCHEMA });
    const personalData = new PersonalDataProtection(catalogue, keys);
    return new OursContender('sealed', await PostgresEventStore.create({ pool, catalogue, schema: SEALED_SCHEMA, personalData }), pool);
  }

  activate(): void {}

  deactivate(): void {}

  async appendOneByOne(work: StreamWork, latencies: Latencies): Promise<void> {
    let expectedRevision: ExpectedRevision = 'no_stream';
    for (const event of work.events) {
      const result = await latencies.time(() => this.store.append(work.streamId, [event], { expectedRevision }));
      expectedRevision = result.nextRevision;
    }
  }

  async appendBatch(work: StreamWork, latencies: Latencies): Promise<void> {
    await latencies.time(() => this.store.append(work.streamId, work.events, { expectedRevision: 'no_stream' }));
  }

  async appendToStreams(call: readonly StreamWork[], latencies: Latencies): Promise<void> {
    const appends = call.map((work) => ({ streamId: work.streamId, events: work.events, expectedRevision: 'no_stream' as const }));
    await latencies.time(() => this.store.appendToStreams(appends));
  }

  async grow(events: number): Promise<void> {
    const schema = this.store.schema;
    const last = EVENTS_PER_GROWN_STREAM - 1;
    // Straight into the store's tables (its own append would take an hour for 5,000,000 events):
    // whole streams, so the streams table, revisions and indexes are what appends would have left.
    await growBy(
      this.pool,
      events,
      `with grown as (
         insert into ${schema}.events (event_id, stream_id, revision, category, type, data, metadata, append_last_revision)
         select gen_random_uuid(), s.stream_id, r.r, 'order', 'OrderPlaced', ${GROWN_DATA}, ${GROWN_METADATA}, ${last}
           from ${GROWN_FROM}
         returning stream_id)
       insert into ${schema}.streams (stream_id, category, revision)
       select distinct stream_id, 'order', ${last} from grown`,
      [`${schema}.events`, `${schema}.streams`],
    );
    // The last grown event itself, not headPosition(): that stops below transactions still running
    // elsewhere in the cluster, and the reads would then count grown events too.
    const { rows } = await this.pool.query<{ transaction_id: string; seq: string }>(
      `select transaction_id, seq from ${schema}.events order by transaction_id desc, seq desc limit 1`,
    );
    this.from = packPosition(rows[0].transaction_id, rows[0].seq);
  }

  async readAll(pageSize: number, maxEvents = Infinity): Promise<number> {
    let fromPosition: Position = this.from;
    let read = 0;
    for (;;) {
      const page = await this.store.readAll({ fromPosition, maxCount: pageSize });
      read += page.events.length;
      fromPosition = page.nextPosition;
      if (page.isEnd || read >= maxEvents) return read;
    }
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.pool.end().catch(() => undefined);
  }
}
