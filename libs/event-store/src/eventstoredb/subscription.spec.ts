import { PassThrough } from 'node:stream';
import { UnavailableError, type AllStreamResolvedEvent, type AllStreamSubscription } from '@eventstore/db-client';
import type { Position, RecordedEvent } from '@clientela/contracts';
import type { SubscriptionPage } from '../port/event-store';
import { EventStoreUnavailableError } from '../port/errors';
import { EventStoreDbAllSubscription, type AllSubscriptionOptions } from './subscription';

/** Stands in for the client's subscription stream: the plumbing under test is the adapter's own. */
class FakeSource extends PassThrough {
  unsubscribed = false;
  constructor(readonly from: Position, readonly onCheckpoint: (position: Position) => void) {
    super({ objectMode: true });
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribed = true;
  }
  send(...positions: number[]): void {
    for (const p of positions) this.write(resolved(p));
  }
}

const resolved = (position: number, type = 'ThingCounted'): AllStreamResolvedEvent =>
  ({
    event: { id: `e${position}`, type, streamId: 'thing-1', position: { commit: BigInt(position), prepare: BigInt(position) } },
  }) as unknown as AllStreamResolvedEvent;

const recorded = (r: AllStreamResolvedEvent): RecordedEvent | undefined =>
  r.event === undefined || r.event.type !== 'ThingCounted'
    ? undefined
    : {
        id: r.event.id,
        type: r.event.type,
        streamId: r.event.streamId,
        revision: 0,
        position: r.event.position.commit,
        data: {},
        metadata: { schemaVersion: 1 },
        recordedAt: new Date(0),
      };

const setup = (overrides: Partial<AllSubscriptionOptions> = {}) => {
  const sources: FakeSource[] = [];
  let closed = 0;
  const subscription = new EventStoreDbAllSubscription({
    fromPosition: 0n,
    batchSize: 100,
    resubscribe: { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
    open: (from, onCheckpoint) => {
      const source = new FakeSource(from, onCheckpoint);
      sources.push(source);
      return source as unknown as AllStreamSubscription;
    },
    positionOf: (r) => (r.event === undefined ? undefined : r.event.position.commit),
    convert: recorded,
    onClose: () => closed++,
    ...overrides,
  });
  return { subscription, sources, closedCount: () => closed };
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

const nextPage = async (pages: AsyncIterator<SubscriptionPage>): Promise<SubscriptionPage> => {
  const result = await pages.next();
  if (result.done) throw new Error('pages ended');
  return result.value;
};

describe('EventStoreDbAllSubscription', () => {
  it('delivers events after its position, in order, skipping what the filter and the start exclude', async () => {
    const { subscription, sources } = setup({ fromPosition: 2n });
    const seen: string[] = [];
    const iteration = (async () => {
      for await (const event of subscription) {
        seen.push(event.id);
        if (seen.length === 3) break;
      }
    })();
    await tick();
    expect(sources[0].from).toBe(2n);
    sources[0].write(resolved(1));
    sources[0].write(resolved(2));
    sources[0].write(resolved(3));
    sources[0].write(resolved(4, '$metadata'));
    sources[0].send(5, 6);
    await iteration;
    expect(seen).toEqual(['e3', 'e5', 'e6']);
  });

  it('ends a waiting iteration when closed, and lets go of the server stream', async () => {
    const { subscription, sources, closedCount } = setup();
    let count = 0;
    const iteration = (async () => {
      for await (const _event of subscription) count++;
      return count;
    })();
    await tick();
    await subscription.close();
    await expect(iteration).resolves.toBe(0);
    expect(sources[0].unsubscribed).toBe(true);
    expect(closedCount()).toBe(1);
    await subscription.close();
    expect(closedCount()).toBe(1);
  });

  it('closes when the consumer stops iterating', async () => {
    const { subscription, sources, closedCount } = setup();
    const iteration = (async () => {
      for await (const _event of subscription) break;
    })();
    await tick();
    sources[0].send(1);
    await iteration;
    expect(subscription.closed).toBe(true);
    expect(sources[0].unsubscribed).toBe(true);
    expect(closedCount()).toBe(1);
  });

  it('pages carry the server checkpoint past filtered-out events, and say when they are live', async () => {
    const { subscription, sources } = setup();
    const pages = subscription.pages()[Symbol.asyncIterator]();
    const first = nextPage(pages);
    await tick();
    sources[0].send(1, 2);
    const page = await first;
    expect(page.events.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(page.position).toBe(2n);
    expect(page.caughtUp).toBe(false);

    const second = nextPage(pages);
    sources[0].emit('caughtUp');
    sources[0].onCheckpoint(40n);
    const checkpointOnly = await second;
    expect(checkpointOnly).toEqual({ events: [], position: 40n, caughtUp: true });

    const third = nextPage(pages);
    sources[0].onCheckpoint(30n); // older than what was seen: ignored
    sources[0].send(41);
    expect((await third).position).toBe(41n);
    await pages.return?.(undefined);
  });

  it('is live once it has seen the head of $all, for servers that do not say so', async () => {
    const { subscription, sources } = setup({ head: () => Promise.resolve(5n) });
    const pages = subscription.pages()[Symbol.asyncIterator]();
    const first = nextPage(pages);
    await tick();
    sources[0].send(4);
    expect((await first).caughtUp).toBe(false);
    const second = nextPage(pages);
    sources[0].send(5);
    expect((await second).caughtUp).toBe(true);
    await subscription.close();
  });

  it('reopens a dropped subscription after the last event received, without repeating one', async () => {
    const { subscription, sources } = setup();
    const seen: string[] = [];
    const iteration = (async () => {
      for await (const event of subscription) {
        seen.push(event.id);
        if (seen.length === 4) break;
      }
    })();
    await tick();
    sources[0].send(1, 2);
    await tick();
    sources[0].emit('error', new UnavailableError(undefined, '14 UNAVAILABLE'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sources).toHaveLength(2);
    expect(sources[0].unsubscribed).toBe(true);
    expect(sources[1].from).toBe(2n);
    sources[1].send(2, 3, 4);
    await iteration;
    expect(seen).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  it('does not take the caught-up signal of a dropped server stream for the reopened one', async () => {
    const { subscription, sources } = setup();
    const pages = subscription.pages()[Symbol.asyncIterator]();
    const first = nextPage(pages);
    await tick();
    sources[0].send(1);
    await first;
    sources[0].emit('caughtUp'); // waits in the buffer: nobody asks for a page yet
    await tick();
    sources[0].emit('error', new UnavailableError(undefined, '14 UNAVAILABLE'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sources).toHaveLength(2);
    const second = nextPage(pages);
    sources[1].send(2);
    expect(await second).toMatchObject({ position: 2n, caughtUp: false });
    await subscription.close();
  });

  it('gives up after the configured attempts, with the port’s unavailable error', async () => {
    const { subscription, sources } = setup({ resubscribe: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 } });
    const iteration = (async () => {
      for await (const _event of subscription) {
        // nothing arrives
      }
    })();
    await tick();
    sources[0].emit('error', new UnavailableError(undefined, 'down'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    sources[1].emit('error', new UnavailableError(undefined, 'still down'));
    await expect(iteration).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(subscription.closed).toBe(true);
  });

  it('fails at once on an error that is not transient', async () => {
    const { subscription, sources } = setup();
    const iteration = (async () => {
      for await (const _event of subscription) {
        // nothing arrives
      }
    })();
    await tick();
    const denied = new Error('access denied');
    sources[0].emit('error', denied);
    await expect(iteration).rejects.toBe(denied);
    expect(sources).toHaveLength(1);
  });

  it('pauses the server stream while its buffer is full, and resumes as it drains', async () => {
    const { subscription, sources } = setup({ batchSize: 4 });
    const pages = subscription.pages()[Symbol.asyncIterator]();
    const first = nextPage(pages);
    await tick();
    sources[0].send(1); // handed straight to the waiting page
    await first;
    sources[0].send(2, 3, 4, 5);
    await tick();
    expect(sources[0].isPaused()).toBe(true);
    const page = await nextPage(pages);
    expect(page.events.map((e) => e.id)).toEqual(['e2', 'e3', 'e4', 'e5']);
    expect(sources[0].isPaused()).toBe(false);
    await subscription.close();
  });

  it('can be iterated only once', async () => {
    const { subscription } = setup();
    const first = subscription.pages()[Symbol.asyncIterator]();
    const pending = first.next();
    await tick();
    await expect(subscription.pages()[Symbol.asyncIterator]().next()).rejects.toThrow(/only once/);
    await subscription.close();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });
});
