import { DomainRuleError, streamId } from '@clientela/contracts';
import { useTestWorld } from '@clientela/testing';
import { StreamNotFoundError, WrongExpectedRevisionError } from '../port/errors';
import { PostgresEventStore } from '../postgres/postgres-event-store';
import { dealCatalogue, dealDecider, type DealCommand } from '../testing/sample-deal.decider';
import { AggregateRepository } from './aggregate-repository';

describe('AggregateRepository on PostgreSQL', () => {
  const world = useTestWorld({ name: 'event_store_aggregates', pool: { max: 12 }, store: (pool) => PostgresEventStore.create({ pool, catalogue: dealCatalogue() }) });
  let store: PostgresEventStore;
  let repository: AggregateRepository;
  const open = (amount = 100): DealCommand => ({ type: 'OpenDeal', data: { dealId: 'd', amount } });
  const raise = (by: number): DealCommand => ({ type: 'RaiseAmount', data: { by } });

  beforeAll(() => {
    store = world.store;
    repository = new AggregateRepository(store, { maxAttempts: 50 });
  });

  it('loads, decides and appends; the state and position come back', async () => {
    const id = streamId('deal');
    const opened = await repository.handle(id, dealDecider, open(), { metadata: { actor: 'user-7', correlationId: 'c-1' } });
    expect(opened.state).toEqual({ status: 'open', amount: 100 });
    expect(opened.nextRevision).toBe(0);
    const raised = await repository.handle(id, dealDecider, raise(5));
    expect(raised.position > opened.position).toBe(true);
    expect((await repository.load(id, dealDecider)).state).toEqual({ status: 'open', amount: 105 });
    const [first] = await store.readStream(id);
    expect(first.metadata).toMatchObject({ actor: 'user-7', correlationId: 'c-1' });
  });

  it('retries on conflicts so that concurrent commands all land, each exactly once', async () => {
    const id = streamId('deal');
    await repository.handle(id, dealDecider, open(0));
    const raises = Array.from({ length: 10 }, (_, i) => i + 1);
    await Promise.all(raises.map((by) => repository.handle(id, dealDecider, raise(by))));
    const { state, revision } = await repository.load(id, dealDecider);
    expect(state).toEqual({ status: 'open', amount: 55 });
    expect(revision).toBe(10);
  });

  it('gives up after the bounded number of attempts with a conflict error', async () => {
    const id = streamId('deal');
    await repository.handle(id, dealDecider, open(0));
    const impatient = new AggregateRepository(store, { maxAttempts: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => impatient.handle(id, dealDecider, raise(1))));
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    rejected.forEach((r) => expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError));
    const { state } = await repository.load(id, dealDecider);
    expect(state).toEqual({ status: 'open', amount: 8 - rejected.length });
  });

  it('answers a retried command (same idempotency key) with the first answer and appends nothing', async () => {
    const id = streamId('deal');
    const first = await repository.handle(id, dealDecider, open(), { idempotencyKey: 'req-1' });
    const again = await repository.handle(id, dealDecider, open(), { idempotencyKey: 'req-1' });
    expect(again.replayed).toBe(true);
    expect(again.position).toBe(first.position);
    expect(again.events).toEqual(first.events);
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('answers a retry that raced the first attempt, with other metadata, with the first answer', async () => {
    const id = streamId('deal');
    const first = await repository.handle(id, dealDecider, open(), { idempotencyKey: 'req-race', metadata: { causationId: 'request-1' } });
    // The retry read the stream before the first attempt committed: it decides again and appends.
    let stale = true;
    const staleOnce = new Proxy(store, {
      get: (target, key: keyof PostgresEventStore) => {
        if (key === 'readStream' && stale) {
          stale = false;
          return () => Promise.reject(new StreamNotFoundError(id));
        }
        const value = target[key];
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const again = await new AggregateRepository(staleOnce).handle(id, dealDecider, open(), {
      idempotencyKey: 'req-race',
      metadata: { causationId: 'request-2' },
    });
    expect(again).toMatchObject({ replayed: true, nextRevision: 0, position: first.position, events: first.events });
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('refuses an If-Match revision that is stale, without retrying', async () => {
    const id = streamId('deal');
    await repository.handle(id, dealDecider, open());
    await expect(repository.handle(id, dealDecider, raise(1), { expectedRevision: 3 })).rejects.toMatchObject({
      expected: 3,
      actual: 0,
    });
  });

  it('lets a domain refusal through and writes nothing', async () => {
    const id = streamId('deal');
    await expect(repository.handle(id, dealDecider, raise(1))).rejects.toBeInstanceOf(DomainRuleError);
    expect(await store.streamState(id)).toBeUndefined();
  });
});
