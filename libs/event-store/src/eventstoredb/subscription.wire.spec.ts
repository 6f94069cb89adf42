import { testCatalogue } from '../testing/test-events';
import type { Subscription } from '../port/event-store';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { packPosition } from './positions';
import { status } from '@grpc/grpc-js';
import { START } from '@clientela/contracts';
import { caughtUpMessage, confirmationMessage, eventMessage, FakeEsdbServer, grpcError } from './testing/fake-esdb-server';

/**
 * The adapter's subscription over the real 6.2.1 client (its `subscribeToAll`, `Subscription`
 * transform and converters), fed by an in-memory server that streams protobuf messages.
 */

/** A small deterministic generator (mulberry32), so a failing run can be replayed from its seed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const yieldTimes = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

const setup = () => {
  const server = new FakeEsdbServer();
  const store = new EventStoreDbEventStore(server.client, { catalogue: testCatalogue() });
  return { server, store };
};

interface Received {
  ns: number[];
  caughtUp: boolean;
  positions: bigint[];
}

/** Reads pages until a live page at or past `until`; `pause` is awaited after each page. */
const consume = async (subscription: Subscription, until: bigint, pause: () => Promise<void>): Promise<Received> => {
  const received: Received = { ns: [], caughtUp: false, positions: [] };
  for await (const page of subscription.pages()) {
    for (const event of page.events) received.ns.push((event.data as { n: number }).n);
    received.positions.push(page.position);
    await pause();
    if (page.caughtUp && page.position >= until) {
      received.caughtUp = true;
      break;
    }
  }
  return received;
};

const expectExactlyOnceInOrder = (ns: readonly number[], total: number): void => {
  let lost = 0;
  let doubled = 0;
  let disordered = 0;
  const seen = new Set<number>();
  ns.forEach((n, i) => {
    if (seen.has(n)) doubled++;
    seen.add(n);
    if (i > 0 && n <= ns[i - 1]) disordered++;
  });
  for (let n = 0; n < total; n++) if (!seen.has(n)) lost++;
  expect({ lost, doubled, disordered, delivered: ns.length }).toEqual({ lost: 0, doubled: 0, disordered: 0, delivered: total });
};

const catchUpRun = async (total: number, pause: () => Promise<void>) => {
  const { server, store } = setup();
  const written = server.write(total);
  const lastWritten = written[written.length - 1].position;
  const last = packPosition({ commit: lastWritten, prepare: lastWritten });
  const subscription = store.subscribeToAll({ batchSize: 500, raw: true });
  const consumed = consume(subscription, last, pause);
  const wire = await server.nextSubscription();
  const streamed = server.catchUp(wire, 1_024);
  const received = await consumed;
  await streamed;
  await store.close();
  return { received, wire, last };
};

describe('EventStoreDB subscription over the real client', () => {
  it('catches up 100,000 events with a checkpoint every 1,024 and a consumer slower than the server: none lost, none doubled, in order', async () => {
    const { received, wire, last } = await catchUpRun(100_000, () => yieldTimes(3));
    expect(wire.hasFilter).toBe(true); // the system-event filter is what makes the server send checkpoints
    expectExactlyOnceInOrder(received.ns, 100_000);
    expect(received.caughtUp).toBe(true);
    expect(received.positions[received.positions.length - 1]).toBe(last);
    // Checkpoints never move a page backwards.
    expect(received.positions.every((p, i) => i === 0 || p >= received.positions[i - 1])).toBe(true);
  });

  it.each([1, 2])('catches up 100,000 events exactly once with random pauses (seed %i)', async (seed) => {
    const next = random(seed);
    const { received } = await catchUpRun(100_000, () => yieldTimes(Math.floor(next() * 8)));
    expectExactlyOnceInOrder(received.ns, 100_000);
    expect(received.caughtUp).toBe(true);
  });

  it.each([
    ['INTERNAL', status.INTERNAL],
    ['UNKNOWN', status.UNKNOWN],
    ['UNAVAILABLE', status.UNAVAILABLE],
  ])('reopens after the server fails the call with %s, as while it restarts, from the last event received', async (_name, code) => {
    const server = new FakeEsdbServer();
    const store = new EventStoreDbEventStore(server.client, {
      catalogue: testCatalogue(),
      resubscribe: { attempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
    });
    const written = server.write(10);
    const last = written[9].position;
    const consumed = consume(store.subscribeToAll({ raw: true }), packPosition({ commit: last, prepare: last }), () => yieldTimes(0));
    const wire = await server.nextSubscription();
    for (const event of written.slice(0, 4)) await wire.send(eventMessage(event));
    await yieldTimes(5);
    wire.fail(grpcError(code, 'Exception was thrown by handler'));
    const reopened = await server.nextSubscription();
    expect(reopened.from).toBe(written[3].position);
    await server.catchUp(reopened, 1_024);
    const received = await consumed;
    expectExactlyOnceInOrder(received.ns, 10);
    await store.close();
  });

  it('says it is live with an empty page when the server catches up on an idle store', async () => {
    const { server, store } = setup();
    const pages = store.subscribeToAll({ raw: true }).pages()[Symbol.asyncIterator]();
    const first = pages.next();
    const wire = await server.nextSubscription();
    await wire.send(confirmationMessage());
    await wire.send(caughtUpMessage());
    // An event after it: without a page for "caught up", the first page would be this event's.
    const [later] = server.write(1);
    await wire.send(eventMessage(later));
    expect((await first).value).toEqual({ events: [], position: START, caughtUp: true });
    const second = await pages.next();
    expect(second.value?.events.map((event: { id: string }) => event.id)).toEqual([later.id]);
    await pages.return?.(undefined);
    await store.close();
  });
});
