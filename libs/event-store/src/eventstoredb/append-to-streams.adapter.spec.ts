import { randomUUID } from 'node:crypto';
import { streamId } from '@clientela/contracts';
import { InvalidStreamAppendError, MultiStreamAppendUnsupportedError } from '../port/errors';
import { counted, testCatalogue } from '../testing/test-events';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { StubClient } from './testing/stub-client';

describe('EventStoreDB appendToStreams', () => {
  const setup = () => {
    const client = new StubClient();
    return { client, store: new EventStoreDbEventStore(client.asClient(), { catalogue: testCatalogue() }) };
  };

  it('refuses a valid call with a typed 501 and sends nothing to the server: stream by stream would not be atomic', async () => {
    const { client, store } = setup();
    const error = await store
      .appendToStreams([
        { streamId: streamId('thing', randomUUID()), events: [counted(1)] },
        { streamId: streamId('thing', randomUUID()), events: [counted(2)], expectedRevision: 'no_stream' },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MultiStreamAppendUnsupportedError);
    expect(error).toMatchObject({ status: 501, code: 'multi_stream_append_unsupported', adapter: 'EventStoreDB' });
    expect(client.calls).toEqual([]);
  });

  it('validates first, as PostgreSQL does, so bad input gets the same error on both adapters', async () => {
    const { client, store } = setup();
    const error = await store
      .appendToStreams([{ streamId: streamId('thing', randomUUID()), events: [{ type: 'ThingCounted', data: { n: -1 } }] }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStreamAppendError);
    expect(error).toMatchObject({ appendIndex: 0, reason: 'invalid_event_payload' });
    expect(client.calls).toEqual([]);
  });
});
