import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { RecordedEvent } from '@clientela/contracts';
import { useTestWorld } from '@clientela/testing';
import { waitUntilReadable } from '../testing/wait-until-readable';
import { counted, newStream, testCatalogue, uniqueCategory } from '../testing/test-events';
import { PostgresEventStore } from './postgres-event-store';

/**
 * The hazard the (transaction id, seq) order exists for: a writer takes a sequence number,
 * a later writer takes a higher one and commits first. A reader ordering by sequence alone
 * would read the higher one, checkpoint past the lower one, and never see it.
 */
describe('PostgreSQL global order under concurrent writers', () => {
  const world = useTestWorld({ name: 'event_store_order', store: (pool) => PostgresEventStore.create({ pool, catalogue: testCatalogue() }) });
  let store: PostgresEventStore;
  let slowWriter: Client;

  beforeAll(async () => {
    store = world.store;
    slowWriter = new Client({ connectionString: world.database.url });
    await slowWriter.connect();
    world.onCleanup(() => slowWriter.end());
  });

  const appendInOpenTransaction = async (streamId: string, n: number): Promise<void> => {
    await slowWriter.query('begin');
    await slowWriter.query(
      `select * from ${store.schema}.append_events($1, $2, -2, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])`,
      [streamId, streamId.split('-')[0], [randomUUID()], ['ThingCounted'], [JSON.stringify({ n })], [JSON.stringify({ schemaVersion: 1 })]],
    );
  };

  it('holds back a later commit until the earlier writer finishes, then delivers both in order', async () => {
    const category = uniqueCategory();
    const early = newStream(category);
    const late = newStream(category);
    const start = await store.headPosition();

    await appendInOpenTransaction(early, 1); // takes the lower sequence number, stays open
    await store.append(late, [counted(2)]); // takes a higher one and commits first

    // The hazard is real: ordering by sequence alone shows the late event and not the early one.
    const naive = await store.pool.query<{ stream_id: string }>(
      `select stream_id from ${store.schema}.events where category = $1 order by seq`,
      [category],
    );
    expect(naive.rows.map((r) => r.stream_id)).toEqual([late]);

    // Our reader shows neither yet, and knows something is held back.
    const page = await store.readPage({ fromPosition: start, filter: { categories: [category] } });
    expect(page.events).toHaveLength(0);
    expect(page.heldBack).toBe(true);
    expect(page.nextPosition <= (await store.headPosition())).toBe(true);

    const subscription = store.subscribeToAll({ fromPosition: start, filter: { categories: [category] } });
    const received: RecordedEvent[] = [];
    const reading = (async () => {
      for await (const event of subscription) {
        received.push(event);
        if (received.length === 2) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toHaveLength(0);

    await slowWriter.query('commit');
    await reading;
    expect(received.map((e) => e.streamId)).toEqual([early, late]);
    expect(received[0].position < received[1].position).toBe(true);
  });

  it('is not stalled by an aborted writer', async () => {
    const category = uniqueCategory();
    const start = await store.headPosition();
    await appendInOpenTransaction(newStream(category), 1);
    const committed = newStream(category);
    await store.append(committed, [counted(2)]);
    const subscription = store.subscribeToAll({ fromPosition: start, filter: { categories: [category] } });
    const reading = (async () => {
      for await (const event of subscription) return event;
      return undefined;
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await slowWriter.query('rollback');
    const event = await reading;
    expect(event?.streamId).toBe(committed);
  });

  it('moves a filtered checkpoint past events that do not match, up to the readable tip', async () => {
    const mine = uniqueCategory();
    const start = await store.headPosition();
    const written = await store.append(newStream(uniqueCategory()), [counted(1), counted(2)]);
    await waitUntilReadable(store, written.position);
    const page = await store.readAll({ fromPosition: start, filter: { categories: [mine] } });
    expect(page.events).toHaveLength(0);
    expect(page.nextPosition).toBe(await store.headPosition());
    expect(page.nextPosition > start).toBe(true);
  });
});
