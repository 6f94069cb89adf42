import { Client } from 'pg';
import { useTestWorld } from '@clientela/testing';
import type { SubscriptionPage } from '../port/event-store';
import { counted, newStream, testCatalogue, uniqueCategory } from '../testing/test-events';
import { LISTENERS_CHECK_MS, listenerApplicationName, Notifier } from './notifier';
import { PostgresEventStore } from './postgres-event-store';

/**
 * Subscribers wake on NOTIFY: another process's appends reach them at once, not at the next poll;
 * the store's own echo is passed over (its subscribers were woken when the append returned).
 */
describe('PostgreSQL store notifications', () => {
  const world = useTestWorld({ name: 'event_store_notify' });

  it("wakes another store's subscription at once, long before its next poll", async () => {
    const writer = await PostgresEventStore.create({ pool: world.pool, catalogue: testCatalogue() });
    world.onCleanup(() => writer.close());
    // Only a notification can wake this one within the test: it polls once a minute.
    const reader = await PostgresEventStore.create({ connectionString: world.database.url, catalogue: testCatalogue(), idlePollMs: 60_000 });
    world.onCleanup(() => reader.close());
    const category = uniqueCategory();
    const subscription = reader.subscribeToAll({ fromPosition: await reader.headPosition(), filter: { categories: [category] } });
    const pages = subscription.pages()[Symbol.asyncIterator]();
    expect((await pages.next()).value).toMatchObject({ events: [], caughtUp: true });

    const waited = pages.next(); // now waiting for a notification
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await writer.append(newStream(category), [counted(1)]);
    const page: IteratorResult<SubscriptionPage> = await waited;
    if (page.done === true) throw new Error('the subscription ended instead of waking');
    expect(page.value.events.map((event) => event.data)).toEqual([{ n: 1 }]);
    expect(Date.now() - started).toBeLessThan(30_000);
    await subscription.close();
  });

  it('passes over notifications carrying its own payload and wakes on any other', async () => {
    const channel = `notify_test_${Date.now()}`;
    const notifier = new Notifier({ connectionString: world.database.url }, channel, (error) => {
      throw error;
    }, 'mine');
    world.onCleanup(() => notifier.close());
    // Listening: the first wait resolves once the LISTEN is in (the notifier wakes readers then).
    const listening = notifier.current();
    await notifier.wait(listening, 10_000);
    const before = notifier.current();
    expect(before).toBeGreaterThan(listening);

    const sender = new Client({ connectionString: world.database.url });
    await sender.connect();
    world.onCleanup(() => sender.end());
    await sender.query('select pg_notify($1, $2)', [channel, 'mine']);
    await sender.query('select pg_notify($1, $2)', [channel, 'theirs']);
    await notifier.wait(before, 10_000);
    // Both arrive within a moment on a local connection; only the second counted.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(notifier.current()).toBe(before + 1);
  });

  it('sends no NOTIFY while no other connection listens as a store does, and sends again once one does', async () => {
    const schema = `notify_presence_${Date.now()}`;
    const channel = `${schema}_events`;
    const writer = await PostgresEventStore.create({ connectionString: world.database.url, schema, catalogue: testCatalogue() });
    world.onCleanup(() => writer.close());
    // The writer's own listener does not count: its subscription keeps it listening throughout.
    const own = writer.subscribeToAll({ fromPosition: await writer.headPosition() });
    const ownPages = own.pages()[Symbol.asyncIterator]();
    await ownPages.next();
    // Hears every NOTIFY on the channel, but is not named as a store's listener: not counted.
    const ear = new Client({ connectionString: world.database.url });
    await ear.connect();
    world.onCleanup(() => ear.end());
    const heard: string[] = [];
    ear.on('notification', (message) => heard.push(message.payload ?? ''));
    await ear.query(`listen "${channel}"`);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const category = uniqueCategory();

    // The first append notifies (nobody asked yet: the answer is yes) and asks; generous pauses, so
    // that each question has its answer on a loaded machine too.
    await writer.append(newStream(category), [counted(1)]);
    await pause(3 * LISTENERS_CHECK_MS);
    expect(heard).toHaveLength(1);
    for (let n = 2; n <= 5; n++) await writer.append(newStream(category), [counted(n)]);
    await pause(3 * LISTENERS_CHECK_MS);
    expect(heard).toHaveLength(1);

    // Now the ear calls itself a listener of the channel: appends notify again once they have asked.
    await ear.query('select set_config($1, $2, false)', ['application_name', listenerApplicationName(channel)]);
    for (let n = 6; heard.length === 1 && n < 30; n++) {
      await writer.append(newStream(category), [counted(n)]);
      await pause(LISTENERS_CHECK_MS / 2);
    }
    expect(heard.length).toBeGreaterThan(1);
    await own.close();
  });
});
