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
