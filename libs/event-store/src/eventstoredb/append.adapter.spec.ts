import { randomUUID } from 'node:crypto';
import { streamId } from '@clientela/contracts';
import { IdempotencyConflictError } from '../port/errors';
import { counted, testCatalogue } from '../testing/test-events';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { StubClient } from './testing/stub-client';

/**
 * The stub server has no idempotency cache: it writes every batch it accepts, as EventStoreDB
 * does for 'any' and 'exists' once its cache has forgotten the first write (restart, leader
 * change, eviction).
 */
const setup = () => {
  const client = new StubClient();
  const store = new EventStoreDbEventStore(client.asClient(), { catalogue: testCatalogue() });
  return { client, store, stream: streamId('thing', randomUUID()) };
};

const reads = (client: StubClient) => client.calls.filter((call) => call.method === 'readStream').length;

describe('EventStoreDB append with caller ids', () => {
  it("answers a retry that the server wrote again under 'any' with the first result, not as a new write", async () => {
    const { store, stream } = setup();
    const events = [counted(1, randomUUID())];
    const first = await store.append(stream, events);
    const again = await store.append(stream, events);
    expect(again).toEqual(first);
  });

  it("refuses the same id with another payload under 'any' even when the server wrote it", async () => {
    const { store, stream } = setup();
    const id = randomUUID();
    await store.append(stream, [counted(1, id)], { expectedRevision: 'any' });
    await expect(store.append(stream, [counted(2, id)], { expectedRevision: 'exists' })).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
  });

  it('with an exact revision, reads back only the batch it wrote: the server checked the revision', async () => {
    const { client, store, stream } = setup();
    await store.append(stream, [counted(1)], { expectedRevision: 'no_stream' });
    const before = reads(client);
    const result = await store.append(stream, [counted(2, randomUUID()), counted(3, randomUUID())], { expectedRevision: 0 });
    expect(result.nextRevision).toBe(2);
    expect(reads(client) - before).toBe(1);
  });
});

/**
 * Issue 13, defect 6, as the contract suite states it: a retry of all or part of one append
 * answers that append's result; metadata counts; a conflict names the first id that differs.
 */
describe('EventStoreDB append: retries of one earlier append', () => {
  it("answers a retry of part of an append with that append's last event, by whatever path it is recognised", async () => {
    const { store, stream } = setup();
    const events = [counted(1, randomUUID()), counted(2, randomUUID()), counted(3, randomUUID())];
    const first = await store.append(stream, events, { expectedRevision: 'no_stream' });
    expect(first.nextRevision).toBe(2);
    // Refused revision, then found in the stream:
    expect(await store.append(stream, events.slice(0, 2), { expectedRevision: 'no_stream' })).toEqual(first);
    // Written again under 'any' (no cache), then the earlier copy found:
    expect(await store.append(stream, events.slice(0, 1))).toEqual(first);
    expect(await store.append(stream, events.slice(1))).toEqual(first);
  });

  it("answers a partial retry the server itself recognised (its answer names the retry's own last revision)", async () => {
    const { client, store, stream } = setup();
    const events = [counted(1, randomUUID()), counted(2, randomUUID()), counted(3, randomUUID())];
    const first = await store.append(stream, events, { expectedRevision: 'no_stream' });
    const record1 = client.streams.get(stream)!.records[1];
    // What EventStoreDB answers to an idempotent write at NO_STREAM: success, nothing written.
    const idempotent = jest.spyOn(client, 'appendToStream').mockResolvedValueOnce({
      success: true,
      nextExpectedRevision: record1.revision,
      position: { commit: record1.position, prepare: record1.position },
    });
    expect(await store.append(stream, events.slice(0, 2), { expectedRevision: 'no_stream' })).toEqual(first);
    expect(idempotent).toHaveBeenCalledTimes(1);
  });

  it('compares metadata: the same id with another correlation id is a conflict naming the id; key order does not count', async () => {
    const { store, stream } = setup();
    const id = randomUUID();
    const correlationId = randomUUID();
    const first = await store.append(stream, [{ ...counted(1, id), metadata: { correlationId, actor: 'user-1' } }], {
      expectedRevision: 'no_stream',
    });
    expect(
      await store.append(stream, [{ ...counted(1, id), metadata: { actor: 'user-1', correlationId } }], { expectedRevision: 'no_stream' }),
    ).toEqual(first);
    const error = await store
      .append(stream, [{ ...counted(1, id), metadata: { correlationId: randomUUID(), actor: 'user-1' } }], { expectedRevision: 'no_stream' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect((error as IdempotencyConflictError).eventId).toBe(id);
  });

  it('names the first id whose stored event differs', async () => {
    const { store, stream } = setup();
    const ids = [randomUUID(), randomUUID()];
    await store.append(stream, [counted(1, ids[0]), counted(2, ids[1])], { expectedRevision: 'no_stream' });
    const error = await store
      .append(stream, [counted(1, ids[0]), counted(3, ids[1])], { expectedRevision: 'no_stream' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect((error as IdempotencyConflictError).eventId).toBe(ids[1]);
  });

  it('refuses a batch that spans two earlier appends: it is no retry of one', async () => {
    const { store, stream } = setup();
    const a = counted(1, randomUUID());
    const b = counted(2, randomUUID());
    await store.append(stream, [a], { expectedRevision: 'no_stream' });
    await store.append(stream, [b], { expectedRevision: 0 });
    const error = await store.append(stream, [a, b], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect((error as IdempotencyConflictError).eventId).toBe(a.id);
  });
});

describe('EventStoreDB append: events written before append slots', () => {
  it('answers a retry of them with the last event it repeats, as before, and still compares metadata', async () => {
    const { client, store, stream } = setup();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const metadata = { schemaVersion: 1, correlationId: 'c-1' };
    client.put(stream, ids.map((id, n) => ({ id, data: { n: n + 1 }, metadata })));
    const retry = ids.slice(0, 2).map((id, n) => ({ ...counted(n + 1, id), metadata: { correlationId: 'c-1' } }));
    expect(await store.append(stream, retry, { expectedRevision: 'no_stream' })).toMatchObject({ nextRevision: 1 });
    await expect(
      store.append(stream, [{ ...retry[0], metadata: { correlationId: 'c-2' } }], { expectedRevision: 'no_stream' }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
  });
});
