import { START } from '@clientela/contracts';
import { testCatalogue } from '../testing/test-events';
import { InvalidArgumentError } from '../port/errors';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { packPosition } from './positions';
import { FakeEsdbServer } from './testing/fake-esdb-server';

/** readAll over the real 6.2.1 client (its `readAll` request and `ReadStream` transform), against an in-memory `$all`. */
const setup = (options: { readAllChunkSize: number; readAllScanLimit: number }) => {
  const server = new FakeEsdbServer();
  const store = new EventStoreDbEventStore(server.client, { catalogue: testCatalogue(), ...options });
  return { server, store };
};

const sum = (counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0);

describe('EventStoreDB readAll over the real client', () => {
  it('examines at most readAllScanLimit events per call with a selective filter, and the pages still find every match', async () => {
    const { server, store } = setup({ readAllChunkSize: 100, readAllScanLimit: 1_000 });
    server.write(4_999);
    const [match] = server.write(1, () => ({ streamId: 'deal-1', type: 'ThingCounted' }));

    const first = await store.readAll({ filter: { categories: ['deal'] }, raw: true });
    expect(first.events).toEqual([]);
    expect(first.isEnd).toBe(false);
    // The 1,000th event examined: the next page starts after it.
    expect(first.nextPosition).toBe(packPosition({ commit: 10_000n, prepare: 10_000n }));
    expect(sum(server.readAllCounts)).toBeLessThanOrEqual(1_000 + 10);

    const found: string[] = [];
    let page = first;
    let calls = 1;
    while (!page.isEnd) {
      page = await store.readAll({ fromPosition: page.nextPosition, filter: { categories: ['deal'] }, raw: true });
      found.push(...page.events.map((event) => event.id));
      calls++;
    }
    expect(found).toEqual([match.id]);
    // 5,000 events, 1,000 a call; the call that ends exactly at the last one cannot know it is the end.
    expect(calls).toBeLessThanOrEqual(6);
    expect(sum(server.readAllCounts)).toBeLessThanOrEqual(5_000 + 6 * 10);
  });

  it('answers a filter that matches nothing without reading $all', async () => {
    const { server, store } = setup({ readAllChunkSize: 100, readAllScanLimit: 1_000 });
    server.write(500);
    const page = await store.readAll({ filter: { categories: [] } });
    expect(page).toEqual({ events: [], nextPosition: START, isEnd: true });
    expect(server.readAllCounts).toEqual([]);
  });
});

/** Issue 13, defect 5: a filter string the store cannot compare is refused before any request, naming the field. */
describe('EventStoreDB filters with U+0000 or a lone surrogate', () => {
  it.each([
    ['U+0000 in a category', { categories: ['thing\u0000'] }, 'filter.categories.0'],
    ['U+0000 in an event type', { eventTypes: ['Thing\u0000'] }, 'filter.eventTypes.0'],
    ['a lone surrogate in an event type', { eventTypes: ['ThingCounted', 'Thing\ud800'] }, 'filter.eventTypes.1'],
  ])('refuses %s in readAll and subscribeToAll with an InvalidArgumentError', async (_label, filter, path) => {
    const server = new FakeEsdbServer();
    const store = new EventStoreDbEventStore(server.client, { catalogue: testCatalogue() });
    const read = await store.readAll({ filter }).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(InvalidArgumentError);
    expect((read as InvalidArgumentError).violations.map((v) => v.path)).toEqual([path]);
    let subscribed: unknown;
    try {
      await store.subscribeToAll({ filter }).close();
    } catch (error) {
      subscribed = error;
    }
    expect(subscribed).toBeInstanceOf(InvalidArgumentError);
    expect((subscribed as InvalidArgumentError).violations.map((v) => v.path)).toEqual([path]);
    expect(server.readAllCounts).toEqual([]);
    expect(server.subscriptions).toEqual([]);
    await store.close();
  });
});
