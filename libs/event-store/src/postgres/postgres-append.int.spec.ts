import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { categoryOf, streamId } from '@clientela/contracts';
import { migrate } from '@clientela/postgres';
import { useTestWorld } from '@clientela/testing';
import { IdempotencyConflictError, StreamNotFoundError } from '../port/errors';
import { counted, testCatalogue, uniqueCategory } from '../testing/test-events';
import { PostgresEventStore } from './postgres-event-store';
import { EVENT_STORE_MIGRATIONS } from './schema';

/**
 * What the contract suite cannot see: appends whose expected revision admits them (append_events
 * writes without looking ids up first, migration 5) but that hold an id stored before, and events
 * written by the function of migration 4.
 */
describe('PostgreSQL append', () => {
  const world = useTestWorld({ name: 'event_store_append', pool: { max: 4 } });
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    pool = world.pool;
    store = await PostgresEventStore.create({ pool, catalogue: testCatalogue(), schema: 'appends' });
  });

  afterAll(() => store.close());

  it("refuses an id stored in another stream when the new stream is created with 'no_stream', and creates nothing", async () => {
    const id = randomUUID();
    await store.append(streamId(uniqueCategory()), [counted(1, id)], { expectedRevision: 'no_stream' });
    const other = streamId(uniqueCategory());
    const error = await store.append(other, [counted(2), counted(1, id)], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect((error as IdempotencyConflictError).eventId).toBe(id);
    await expect(store.readStream(other)).rejects.toBeInstanceOf(StreamNotFoundError);
    expect(await store.streamState(other)).toBeUndefined();
  });

  it('answers a retry sent with the revision the stream has now with the first result, and writes nothing', async () => {
    const stream = streamId(uniqueCategory());
    const first = [counted(1, randomUUID()), counted(2, randomUUID())];
    const answer = await store.append(stream, first, { expectedRevision: 'no_stream' });
    await store.append(stream, [counted(3)], { expectedRevision: 1 });
    expect(await store.append(stream, first, { expectedRevision: 2 })).toEqual(answer);
    expect(await store.append(stream, first.slice(1), { expectedRevision: 2 })).toEqual(answer);
    expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2]);
    expect((await store.streamState(stream))?.revision).toBe(2);
  });

  it('refuses an id stored with other content when the expected revision matches, and leaves the stream as it was', async () => {
    const stream = streamId(uniqueCategory());
    const id = randomUUID();
    await store.append(stream, [counted(1, id)], { expectedRevision: 'no_stream' });
    const error = await store.append(stream, [counted(2), counted(9, id)], { expectedRevision: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect((error as IdempotencyConflictError).eventId).toBe(id);
    expect((await store.readStream(stream)).map((e) => e.data)).toEqual([{ n: 1 }]);
    expect((await store.streamState(stream))?.revision).toBe(0);
    expect(await store.append(stream, [counted(2)], { expectedRevision: 0 })).toMatchObject({ nextRevision: 1 });
  });

  it('answers retries of events that the function of migration 4 wrote, and appends after them', async () => {
    const schema = 'before_five';
    await migrate(pool, schema, EVENT_STORE_MIGRATIONS.slice(0, 4));
    const stream = streamId(uniqueCategory());
    const events = [counted(1, randomUUID()), counted(2, randomUUID())];
    await pool.query(`select * from ${schema}.append_events($1, $2, -1, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])`, [
      stream,
      categoryOf(stream),
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map(() => '{"schemaVersion":1}'),
    ]);
    const upgraded = await PostgresEventStore.create({ pool, catalogue: testCatalogue(), schema });
    try {
      const [, last] = await upgraded.readStream(stream);
      expect(await upgraded.append(stream, events, { expectedRevision: 'no_stream' })).toEqual({ nextRevision: 1, position: last.position });
      expect(await upgraded.append(stream, events, { expectedRevision: 1 })).toEqual({ nextRevision: 1, position: last.position });
      expect(await upgraded.append(stream, [counted(3)], { expectedRevision: 1 })).toMatchObject({ nextRevision: 2 });
      expect((await upgraded.readStream(stream)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    } finally {
      await upgraded.close();
    }
  });
});
