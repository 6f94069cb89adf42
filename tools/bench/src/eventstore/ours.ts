import { START, type Position } from '@clientela/contracts';
import { PostgresEventStore, type ExpectedRevision } from '@clientela/event-store';
import type { Latencies } from '../measure';
import type { Contender } from './contender';
import { benchCatalogue, type StreamWork } from './orders';

export const OURS_SCHEMA = 'event_store';

/** Our PostgresEventStore (@clientela/event-store), as the services use it. */
export class OursContender implements Contender {
  readonly name = 'ours';

  private constructor(readonly store: PostgresEventStore) {}

  static async create(url: string, poolSize: number): Promise<OursContender> {
    const store = await PostgresEventStore.create({
      connectionString: url,
      catalogue: benchCatalogue(),
      poolSize,
      schema: OURS_SCHEMA,
    });
    store.pool.on('error', () => undefined); // the database is dropped with force at the end
    return new OursContender(store);
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

  async readAll(pageSize: number, maxEvents = Infinity): Promise<number> {
    let fromPosition: Position = START;
    let read = 0;
    for (;;) {
      const page = await this.store.readAll({ fromPosition, maxCount: pageSize });
      read += page.events.length;
      fromPosition = page.nextPosition;
      if (page.isEnd || read >= maxEvents) return read;
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
