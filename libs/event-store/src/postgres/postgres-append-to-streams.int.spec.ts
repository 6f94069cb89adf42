import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { categoryOf, streamId } from '@clientela/contracts';
import { counted, testCatalogue, uniqueCategory } from '../testing/test-events';
import { migrate } from '@clientela/postgres';
import { useTestWorld } from '@clientela/testing';
import { PostgresEventStore } from './postgres-event-store';
import { waitUntilReadable } from '../testing/wait-until-readable';
import { EVENT_STORE_MIGRATIONS } from './schema';

/** What the contract suite cannot see: data from before migration 3, and calls that race. */
describe('PostgreSQL appendToStreams', () => {
  // The world's pool: the drop closes it, and a connection ended by the drop is not an unhandled error.
  const world = useTestWorld({ name: 'event_store_multi', pool: { max: 12 } });
  let pool: Pool;

  beforeAll(() => {
    pool = world.pool;
  });

  it('answers a retry of events written before migration 3 (no append_last_revision) by their transaction', async () => {
    const schema = 'before_three';
    await migrate(pool, schema, EVENT_STORE_MIGRATIONS.slice(0, 2));
    const stream = streamId(uniqueCategory());
    const events = [counted(1, randomUUID()), counted(2, randomUUID())];
    const { rows } = await pool.query<{ last_revision: string }>(
      `select * from ${schema}.append_events($1, $2, -1, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])`,
      [stream, categoryOf(stream), events.map((e) => e.id), events.map((e) => e.type), events.map((e) => JSON.stringify(e.data)), events.map(() => '{"schemaVersion": 1}')],
    );
    expect(rows[0].last_revision).toBe('1');
    const store = await PostgresEventStore.create({ pool, catalogue: testCatalogue(), schema });
    try {
      const [stored] = await store.readStream(stream, { from: 1, maxCount: 1 });
      const again = await store.appendToStreams([{ streamId: stream, events: events.slice(0, 1), expectedRevision: 'no_stream' }]);
      expect(again.streams).toEqual([{ streamId: stream, nextRevision: 1, position: stored.position, duplicate: true }]);
      expect(await store.append(stream, events.slice(0, 1))).toEqual({ nextRevision: 1, position: stored.position });
      const next = await store.appendToStreams([{ streamId: stream, events: [counted(3)], expectedRevision: 1 }]);
      expect(next.streams[0]).toMatchObject({ nextRevision: 2, duplicate: false });
    } finally {
      await store.close();
    }
  });

  it('lets calls that share streams, in any order, run at once without deadlock, each stream gap-free', async () => {
    const store = await PostgresEventStore.create({ pool, catalogue: testCatalogue(), schema: 'racing' });
    try {
      const category = uniqueCategory();
      const shared = [streamId(category), streamId(category), streamId(category)];
      await store.append(shared[0], [counted(0)]);
      const calls = 12;
      const results = await Promise.all(
        Array.from({ length: calls }, (_, call) => {
          const order = call % 2 === 0 ? shared : [...shared].reverse();
          return store.appendToStreams([
            ...order.map((s) => ({ streamId: s, events: [counted(call)] })),
            { streamId: streamId(category), events: [counted(call)], expectedRevision: 'no_stream' as const },
          ]);
        }),
      );
      expect(results).toHaveLength(calls);
      for (const [index, s] of shared.entries()) {
        const events = await store.readStream(s);
        const base = index === 0 ? 1 : 0;
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: calls + base }, (_, i) => i));
        const answered = results.map((r) => r.streams.find((x) => x.streamId === s)?.nextRevision).sort((a, b) => (a ?? 0) - (b ?? 0));
        expect(answered).toEqual(Array.from({ length: calls }, (_, i) => i + base));
      }
    } finally {
      await store.close();
    }
  });

  it("lets one of several calls that create the same stream with 'no_stream' win; the others conflict and write nothing", async () => {
    const store = await PostgresEventStore.create({ pool, catalogue: testCatalogue(), schema: 'racing' });
    try {
      const category = uniqueCategory();
      const contested = streamId(category);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, call) =>
          store.appendToStreams([
            { streamId: streamId(category), events: [counted(call)], expectedRevision: 'no_stream' },
            { streamId: contested, events: [counted(call)], expectedRevision: 'no_stream' },
          ]),
        ),
      );
      const winners = outcomes.filter((o) => o.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      // readAll sees only what is below every write transaction still open in the cluster (other test files' too).
      await waitUntilReadable(store, winners[0].value.position);
      for (const loser of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
        expect(loser.reason).toMatchObject({ code: 'wrong_expected_revision', conflicts: [{ appendIndex: 1, streamId: contested, actual: 0 }] });
      }
      const page = await store.readAll({ filter: { categories: [category] } });
      expect(page.events).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});
