import { randomUUID } from 'node:crypto';
import { status, type ServiceError } from '@grpc/grpc-js';
import { DeadlineExceededError, NotLeaderError } from '@eventstore/db-client';
import { streamId } from '@clientela/contracts';
import { EventStoreUnavailableError, InvalidArgumentError } from '../port/errors';
import { counted, testCatalogue } from '../testing/test-events';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { DEFAULT_RESUBSCRIBE } from './subscription';
import { grpcError } from './testing/fake-esdb-server';
import { StubClient } from './testing/stub-client';

const notLeader = (): NotLeaderError =>
  new NotLeaderError(
    grpcError(status.NOT_FOUND, 'Leader info available', 'not-leader', {
      'leader-endpoint-host': 'node-2',
      'leader-endpoint-port': '2113',
    }) as unknown as ServiceError,
  );
const deadline = (): DeadlineExceededError =>
  new DeadlineExceededError(grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded') as unknown as ServiceError);

const setup = () => {
  const client = new StubClient();
  const store = new EventStoreDbEventStore(client.asClient(), { catalogue: testCatalogue() });
  return { client, store, stream: streamId('thing', randomUUID()) };
};

const appendedIds = (client: StubClient): string[][] =>
  client.calls.filter((call) => call.method === 'appendToStream').map((call) => (call.events ?? []).map((event) => event.id));

describe('EventStoreDB transient failures', () => {
  it('sends an append again after NotLeader, with the same event ids', async () => {
    const { client, store, stream } = setup();
    client.faults.push({ method: 'appendToStream', error: notLeader() });
    const result = await store.append(stream, [counted(1), counted(2)], { expectedRevision: 'no_stream' });
    expect(result.nextRevision).toBe(1);
    const [first, second] = appendedIds(client);
    expect(second).toEqual(first);
    expect(client.streams.get(stream)?.records).toHaveLength(2);
  });

  it('after a timeout that hid a committed write, the retry finds it and answers with its result', async () => {
    const { client, store, stream } = setup();
    client.faults.push({ method: 'appendToStream', error: deadline(), afterWrite: true });
    const result = await store.append(stream, [counted(1)], { expectedRevision: 'no_stream' });
    expect(result.nextRevision).toBe(0);
    expect(client.streams.get(stream)?.records).toHaveLength(1);
    const [first, second] = appendedIds(client);
    expect(second).toEqual(first);
  });

  it('gives up with the port’s unavailable error when the server stays away', async () => {
    const { client, store, stream } = setup();
    for (let i = 0; i < 10; i++) client.faults.push({ method: 'appendToStream', error: notLeader() });
    await expect(store.append(stream, [counted(1)])).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(appendedIds(client).length).toBeGreaterThan(1);
    expect(client.streams.get(stream)).toBeUndefined();
  });

  it('does not send again what the server refused for good', async () => {
    const { client, store, stream } = setup();
    client.faults.push({ method: 'appendToStream', error: new Error('access denied') });
    await expect(store.append(stream, [counted(1)])).rejects.toThrow('access denied');
    expect(appendedIds(client)).toHaveLength(1);
  });

  it('reads again after NotLeader', async () => {
    const { client, store, stream } = setup();
    client.put(stream, [{ data: { n: 1 } }]);
    client.faults.push({ method: 'readStream', error: notLeader() });
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('keeps reopening a subscription for longer than a leader election takes (two minutes)', () => {
    let total = 0;
    for (let attempt = 0; attempt < DEFAULT_RESUBSCRIBE.attempts; attempt++) {
      total += Math.min(DEFAULT_RESUBSCRIBE.initialDelayMs * 2 ** attempt, DEFAULT_RESUBSCRIBE.maxDelayMs);
    }
    expect(total).toBeGreaterThanOrEqual(120_000);
  });

  it('refuses a resubscribe policy that is not one', () => {
    expect(() => new EventStoreDbEventStore(new StubClient().asClient(), { catalogue: testCatalogue(), resubscribe: { attempts: 0 } })).toThrow(
      InvalidArgumentError,
    );
  });
});
