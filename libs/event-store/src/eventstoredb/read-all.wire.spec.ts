import { START } from '@clientela/contracts';
import { testCatalogue } from '../testing/test-events';
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
