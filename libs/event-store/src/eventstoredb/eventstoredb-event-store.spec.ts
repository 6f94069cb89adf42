import { randomUUID } from 'node:crypto';
import { status, type ServiceError } from '@grpc/grpc-js';
import { AccessDeniedError } from '@eventstore/db-client';
import { streamId } from '@clientela/contracts';
import { InvalidArgumentError, WrongExpectedRevisionError } from '../port/errors';
import { counted, testCatalogue } from '../testing/test-events';
import { EventStoreDbEventStore, assertSupportedServer } from './eventstoredb-event-store';
import { EventStoreDbPermissionError } from './errors';
import { FakeEsdbServer, grpcError } from './testing/fake-esdb-server';
import { StubClient } from './testing/stub-client';

const setup = () => {
  const client = new StubClient();
  const store = new EventStoreDbEventStore(client.asClient(), { catalogue: testCatalogue() });
  return { client, store, stream: streamId('thing', randomUUID()) };
};

describe('EventStoreDbEventStore: conflicts, probes, deletes and the server version', () => {
  it('after a refused exact revision, looks for a retried batch only among the events written after it', async () => {
    const { client, store, stream } = setup();
    client.put(stream, Array.from({ length: 3_000 }, (_, n) => ({ data: { n } })));
    const before = client.recordsRead;
    await expect(store.append(stream, [counted(1, randomUUID())], { expectedRevision: 2_990 })).rejects.toBeInstanceOf(
      WrongExpectedRevisionError,
    );
    // Revisions 2,991 .. 2,999: nine events, not the stream's last 3,000.
    expect(client.recordsRead - before).toBeLessThanOrEqual(9);
  });

  it('refuses a client that answers a refused append instead of throwing: its revision would be wrong', () => {
    const client = new StubClient();
    client.throwOnAppendFailure = false;
    expect(() => new EventStoreDbEventStore(client.asClient(), { catalogue: testCatalogue() })).toThrow(InvalidArgumentError);
  });

  it('says that telling the revision of a stream with no readable event needs write permission', async () => {
    const { client, store, stream } = setup();
    client.put(`$$${stream}`, [{ type: '$metadata', data: { owner: 'sales' } }]);
    const denied = new AccessDeniedError(grpcError(status.PERMISSION_DENIED, 'Access denied', 'access-denied') as unknown as ServiceError);
    client.faults.push({ method: 'appendToStream', error: denied });
    await expect(store.streamState(stream)).rejects.toBeInstanceOf(EventStoreDbPermissionError);
  });

  it("deletes with 'exists' at the exact revision it checked, so nothing written in between is deleted unseen", async () => {
    const { client, store, stream } = setup();
    client.put(stream, [{ data: { n: 1 } }, { data: { n: 2 } }]);
    await store.deleteStream(stream, { expectedRevision: 'exists' });
    const deletes = client.calls.filter((call) => call.method === 'deleteStream');
    expect(deletes.map((call) => call.expectedRevision)).toEqual([1n]);
  });

  describe('the server version', () => {
    const serverAt = (version: string) => {
      const server = new FakeEsdbServer();
      server.serverVersion = version;
      return server.client;
    };

    it.each(['23.10.0', '23.10.3', '24.2.0', '24.10.1'])('accepts %s', async (version) => {
      await expect(assertSupportedServer(serverAt(version))).resolves.toBeUndefined();
    });

    it.each(['22.10.4', '23.6.0', '20.10.5', 'unknown'])('refuses %s: it resumes a subscription by skipping a record', async (version) => {
      await expect(assertSupportedServer(serverAt(version))).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });
});
