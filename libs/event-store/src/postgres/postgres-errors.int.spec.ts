import { ValidationError } from '@clientela/contracts';
import { useTestWorld } from '@clientela/testing';
import { EventStoreError } from '../port/errors';
import { counted, newStream, testCatalogue, uniqueCategory } from '../testing/test-events';
import { PostgresEventStore } from './postgres-event-store';

/**
 * What the PostgreSQL adapter throws when the database fails in a way it has no name for
 * (issue 13, defect 5): a typed EventStoreError with the operation and the SQLSTATE, the
 * driver's error kept as the cause, never the raw DatabaseError.
 */
describe('PostgreSQL event store errors', () => {
  const world = useTestWorld({ name: 'event_store_errors' });
  const open = async (options: Partial<Parameters<typeof PostgresEventStore.create>[0]> = {}) => {
    const store = await PostgresEventStore.create({ connectionString: world.database.url, catalogue: testCatalogue(), ...options });
    world.onCleanup(() => store.close());
    return store;
  };

  const failure = async (work: () => Promise<unknown>): Promise<EventStoreError> => {
    const error = await work().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventStoreError);
    return error as EventStoreError;
  };

  it('wraps an unknown database error in an EventStoreError naming the operation and the SQLSTATE', async () => {
    const store = await open({ schema: 'broken_store' });
    // the ones the adapter calls (the older signatures stay beside them)
    await store.pool.query('drop function broken_store.append_events(text, text, bigint, jsonb, boolean)');
    await store.pool.query('drop function broken_store.append_to_streams(text[], text[], bigint[], jsonb, boolean)');
    const append = await failure(() => store.append(newStream(uniqueCategory()), [counted(1)]));
    expect(append).toMatchObject({ operation: 'append', storeCode: '42883', status: 500, code: 'event_store_failed' });
    expect(append.message).toContain('append');
    expect((append.cause as { code?: string }).code).toBe('42883');
    const multi = await failure(() => store.appendToStreams([{ streamId: newStream(uniqueCategory()), events: [counted(1)] }]));
    expect(multi).toMatchObject({ operation: 'appendToStreams', storeCode: '42883' });

    await store.pool.query('drop table broken_store.events');
    expect(await failure(() => store.readAll())).toMatchObject({ operation: 'readAll', storeCode: '42P01' });
    expect(await failure(() => store.readStream(newStream(uniqueCategory())))).toMatchObject({
      operation: 'readStream',
      storeCode: '42P01',
    });
    expect(await failure(() => store.headPosition())).toMatchObject({ operation: 'headPosition', storeCode: '42P01' });
    const subscription = store.subscribeToAll();
    const subscribed = await failure(async () => {
      for await (const _event of subscription) break;
    });
    expect(subscribed).toMatchObject({ operation: 'readAll', storeCode: '42P01' });
    await subscription.close();
  });

  it('refuses custom stream metadata that PostgreSQL cannot hold, naming the field', async () => {
    const store = await open();
    const stream = newStream(uniqueCategory());
    const error = await store.setStreamMetadata(stream, { custom: { owner: 'a\u0000' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations.map((v) => v.path)).toEqual(['custom.owner']);
    expect(await store.streamState(stream)).toBeUndefined();
  });

  it('takes the metadata size limit as an option', async () => {
    const store = await open({ contentLimits: { maxMetadataBytes: 100 } });
    const stream = newStream(uniqueCategory());
    const error = await store
      .append(stream, [{ ...counted(1), metadata: { actor: 'x'.repeat(100) } }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations[0]).toMatchObject({ path: 'metadata', constraints: { maxSize: expect.any(String) } });
    const roomy = await open();
    await expect(roomy.append(stream, [{ ...counted(1), metadata: { actor: 'x'.repeat(10_000) } }])).resolves.toMatchObject({
      nextRevision: 0,
    });
    await expect(open({ contentLimits: { maxDepth: 0 } })).rejects.toThrow('maxDepth must be a positive integer');
  });
});
