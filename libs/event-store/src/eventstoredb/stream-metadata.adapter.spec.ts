import { randomUUID } from 'node:crypto';
import { ConflictError, streamId } from '@clientela/contracts';
import { testCatalogue } from '../testing/test-events';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { StubClient } from './testing/stub-client';

/** The `$tb` a soft delete writes: Int64.MaxValue, as JSON.parse reads it. */
const DELETED = JSON.parse('9223372036854775807') as number;

const setup = () => {
  const client = new StubClient();
  const store = new EventStoreDbEventStore(client.asClient(), { catalogue: testCatalogue() });
  const stream = streamId('thing', randomUUID());
  client.put(stream, [{ data: { n: 1 } }, { data: { n: 2 } }]);
  return { client, store, stream, metastream: `$$${stream}` };
};

describe('EventStoreDB setStreamMetadata', () => {
  it('refuses to change the metadata of a soft-deleted stream rather than bring its events back', async () => {
    const { client, store, stream, metastream } = setup();
    client.put(metastream, [{ type: '$metadata', data: { $tb: DELETED } }]);
    await expect(store.setStreamMetadata(stream, { custom: { owner: 'sales' } })).rejects.toBeInstanceOf(ConflictError);
    expect(client.last(metastream)?.data).toEqual({ $tb: DELETED });
    expect(client.streams.get(metastream)?.records).toHaveLength(1);
  });

  it('does not overwrite a delete made between its read and its write', async () => {
    const { client, store, stream, metastream } = setup();
    client.beforeAppend = (name) => {
      client.beforeAppend = undefined;
      if (name === metastream) client.put(metastream, [{ type: '$metadata', data: { $tb: DELETED } }]);
    };
    await expect(store.setStreamMetadata(stream, { maxCount: 10 })).rejects.toBeInstanceOf(ConflictError);
    expect(client.last(metastream)?.data).toEqual({ $tb: DELETED });
  });

  it('writes at the metadata stream’s revision, replacing the port’s fields and keeping the operator’s ACL', async () => {
    const { client, store, stream, metastream } = setup();
    client.put(metastream, [{ type: '$metadata', data: { $tb: 1, $acl: { $r: ['ops'] }, $cacheControl: 5, old: 1 } }]);
    await store.setStreamMetadata(stream, { truncateBefore: 0, custom: { owner: 'sales' } });
    const append = client.calls.find((call) => call.method === 'appendToStream');
    expect(append?.stream).toBe(metastream);
    expect(append?.expectedRevision).toBe(0n);
    expect(client.last(metastream)?.data).toEqual({ $tb: 0, owner: 'sales', $acl: { $r: ['ops'] }, $cacheControl: 5 });
  });

  it('writes the first metadata of a stream expecting no metadata stream, and retries once another writer got there first', async () => {
    const { client, store, stream, metastream } = setup();
    client.beforeAppend = (name) => {
      client.beforeAppend = undefined;
      if (name === metastream) client.put(metastream, [{ type: '$metadata', data: { $acl: { $r: ['ops'] } } }]);
    };
    await store.setStreamMetadata(stream, { maxAge: 60 });
    const appends = client.calls.filter((call) => call.method === 'appendToStream');
    expect(appends.map((call) => call.expectedRevision)).toEqual(['no_stream', 0n]);
    expect(client.last(metastream)?.data).toEqual({ $maxAge: 60, $acl: { $r: ['ops'] } });
  });
});
