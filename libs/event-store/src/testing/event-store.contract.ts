import { randomUUID } from 'node:crypto';
import {
  EventValidationError,
  InvalidStreamIdError,
  START,
  UnknownEventTypeError,
  ValidationError,
  type EventCatalogue,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '@clientela/contracts';
import type { EventStore, EventFilter } from '../port/event-store';
import {
  IdempotencyConflictError,
  InvalidArgumentError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from '../port/errors';
import { waitUntilReadable } from '@clientela/testing';
import { counted, legacyTestCatalogue, newStream, testCatalogue, uniqueCategory } from './test-events';

/** How a suite reaches the adapter under test: every store it opens shares the same storage. */
export interface EventStoreContractTarget {
  open(catalogue: EventCatalogue): Promise<EventStore>;
  /** Called once after the suite, after every opened store was closed. */
  dispose?(): Promise<void>;
}

/** Behaviours an adapter cannot give, each with the reason printed where its case is skipped. */
export type EventStoreLimitations = Partial<Record<'eventIdsUniqueAcrossStreams', string>>;

const collect = async (
  store: EventStore,
  filter: EventFilter,
  count: number,
  fromPosition: Position = START,
  timeoutMs = 30_000,
): Promise<RecordedEvent[]> => {
  const subscription = store.subscribeToAll({ fromPosition, filter });
  const seen: RecordedEvent[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    for await (const event of subscription) {
      seen.push(event);
      if (seen.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  return seen;
};

const expectAscending = (positions: Position[]): void => {
  for (let i = 1; i < positions.length; i++) {
    if (!(positions[i] > positions[i - 1])) {
      throw new Error(`positions out of order at ${i}: ${positions[i - 1]} then ${positions[i]}`);
    }
  }
};

/**
 * The behaviour every EventStore adapter must have. Run it once per adapter:
 * `describeEventStoreContract('PostgreSQL', target)`.
 */
export const describeEventStoreContract = (
  name: string,
  target: () => EventStoreContractTarget,
  limitations: EventStoreLimitations = {},
): void => {
  const unless = (limitation: keyof EventStoreLimitations, title: string): [string, typeof it | typeof it.skip] => {
    const reason = limitations[limitation];
    if (!reason) return [title, it];
    console.warn(`EventStore contract: ${name}: skipped "${title}": ${reason}`);
    return [`${title} (skipped on ${name}: ${reason})`, it.skip];
  };
  describe(`EventStore contract: ${name}`, () => {
    let contract: EventStoreContractTarget;
    const opened: EventStore[] = [];
    let store: EventStore;
    const open = async (catalogue: EventCatalogue = testCatalogue()): Promise<EventStore> => {
      const s = await contract.open(catalogue);
      opened.push(s);
      return s;
    };

    beforeAll(async () => {
      contract = target();
      store = await open();
    });

    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await contract.dispose?.();
    });

    describe('append and readStream', () => {
      it('appends a batch and reads it back in order with revisions, ids and schema versions', async () => {
        const stream = newStream(uniqueCategory());
        const ids = [randomUUID(), randomUUID(), randomUUID()];
        const result = await store.append(stream, [counted(1, ids[0]), counted(2, ids[1]), counted(3, ids[2])], {
          expectedRevision: 'no_stream',
        });
        expect(result.nextRevision).toBe(2);
        expect(result.position > START).toBe(true);

        const events = await store.readStream(stream);
        expect(events.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(events.map((e) => e.id)).toEqual(ids);
        expect(events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect(events.every((e) => e.streamId === stream && e.type === 'ThingCounted')).toBe(true);
        expect(events.every((e) => e.metadata.schemaVersion === 1)).toBe(true);
        expect(events.every((e) => e.recordedAt instanceof Date)).toBe(true);
        expectAscending(events.map((e) => e.position));
        expect(events[2].position).toBe(result.position);
      });

      it('keeps metadata: correlation, causation, actor, occurredAt, source', async () => {
        const stream = newStream(uniqueCategory());
        const metadata = {
          correlationId: randomUUID(),
          causationId: randomUUID(),
          actor: 'user-1',
          occurredAt: '2024-01-02T03:04:05.000Z',
          source: 'contract-test',
        };
        await store.append(stream, [{ type: 'ThingCounted', data: { n: 1 }, metadata }]);
        const [event] = await store.readStream(stream);
        expect(event.metadata).toMatchObject({ ...metadata, schemaVersion: 1 });
      });

      it('continues revisions across appends with expected revisions', async () => {
        const stream = newStream(uniqueCategory());
        const first = await store.append(stream, [counted(1)], { expectedRevision: 'no_stream' });
        const second = await store.append(stream, [counted(2), counted(3)], { expectedRevision: first.nextRevision });
        const third = await store.append(stream, [counted(4)], { expectedRevision: 'exists' });
        const fourth = await store.append(stream, [counted(5)], { expectedRevision: 'any' });
        expect([first.nextRevision, second.nextRevision, third.nextRevision, fourth.nextRevision]).toEqual([0, 2, 3, 4]);
        expectAscending([first.position, second.position, third.position, fourth.position]);
      });

      it('refuses a wrong expected revision, naming the stream, the expected and the actual revision', async () => {
        const stream = newStream(uniqueCategory());
        await store.append(stream, [counted(1), counted(2)]);

        const attempts: Array<[Parameters<EventStore['append']>[2], number]> = [
          [{ expectedRevision: 'no_stream' }, 1],
          [{ expectedRevision: 0 }, 1],
          [{ expectedRevision: 5 }, 1],
        ];
        for (const [options, actual] of attempts) {
          const error = await store.append(stream, [counted(9)], options).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(WrongExpectedRevisionError);
          const conflict = error as WrongExpectedRevisionError;
          expect(conflict.streamId).toBe(stream);
          expect(conflict.expected).toEqual(options?.expectedRevision);
          expect(conflict.actual).toBe(actual);
          expect(conflict.message).toContain(stream);
        }
        const missing = newStream(uniqueCategory());
        const error = await store.append(missing, [counted(1)], { expectedRevision: 'exists' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect((error as WrongExpectedRevisionError).actual).toBe(-1);
        expect(await store.readStream(stream)).toHaveLength(2);
        await expect(store.readStream(missing)).rejects.toBeInstanceOf(StreamNotFoundError);
      });

      it('reads a stream from a revision, backwards, and up to a count', async () => {
        const stream = newStream(uniqueCategory());
        await store.append(stream, [1, 2, 3, 4, 5].map((n) => counted(n)));
        const ns = (events: RecordedEvent[]) => events.map((e) => e.data.n);
        expect(ns(await store.readStream(stream, { from: 2 }))).toEqual([3, 4, 5]);
        expect(ns(await store.readStream(stream, { from: 1, maxCount: 2 }))).toEqual([2, 3]);
        expect(ns(await store.readStream(stream, { direction: 'backwards' }))).toEqual([5, 4, 3, 2, 1]);
        expect(ns(await store.readStream(stream, { direction: 'backwards', from: 'end', maxCount: 2 }))).toEqual([5, 4]);
        expect(ns(await store.readStream(stream, { direction: 'backwards', from: 1 }))).toEqual([2, 1]);
        expect(await store.readStream(stream, { from: 9 })).toEqual([]);
      });

      it('says a missing stream is not found', async () => {
        await expect(store.readStream(newStream(uniqueCategory()))).rejects.toBeInstanceOf(StreamNotFoundError);
        expect(await store.streamState(newStream(uniqueCategory()))).toBeUndefined();
      });
    });

    describe('positions', () => {
      it('answers an append with the position of its last event, as readStream and readAll see it', async () => {
        const category = uniqueCategory();
        const stream = newStream(category);
        const start = await store.headPosition();
        const result = await store.append(stream, [counted(1), counted(2), counted(3)]);
        await waitUntilReadable(store, result.position);
        const [, , last] = await store.readStream(stream);
        expect(last.position).toBe(result.position);
        const page = await store.readAll({ fromPosition: start, filter: { categories: [category] } });
        expect(page.events[page.events.length - 1].position).toBe(result.position);
      });

      it('moves a subscription page checkpoint past events that do not match, and says when it is live', async () => {
        const mine = uniqueCategory();
        const start = await store.headPosition();
        const written = await store.append(newStream(uniqueCategory()), [counted(1), counted(2)]);
        await waitUntilReadable(store, written.position);
        const subscription = store.subscribeToAll({ fromPosition: start, filter: { categories: [mine] } });
        let caughtUpAt: Position | undefined;
        const timer = setTimeout(() => void subscription.close(), 15_000);
        for await (const page of subscription.pages()) {
          expect(page.events).toHaveLength(0);
          if (page.caughtUp && page.position >= written.position) {
            caughtUpAt = page.position;
            break;
          }
        }
        clearTimeout(timer);
        await subscription.close();
        expect(caughtUpAt).toBeDefined();
      });

      it('matches nothing with an empty filter list', async () => {
        const written = await store.append(newStream(uniqueCategory()), [counted(1)]);
        await waitUntilReadable(store, written.position);
        const page = await store.readAll({ filter: { categories: [] } });
        expect(page.events).toHaveLength(0);
      });
    });

    describe('idempotency on event ids', () => {
      it('returns the first result and writes nothing when the same ids are appended again', async () => {
        const stream = newStream(uniqueCategory());
        const events = [counted(1, randomUUID()), counted(2, randomUUID())];
        const first = await store.append(stream, events, { expectedRevision: 'no_stream' });
        const again = await store.append(stream, events, { expectedRevision: 'no_stream' });
        const anyAgain = await store.append(stream, events);
        expect(again).toEqual(first);
        expect(anyAgain).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('returns the first result for a retry that comes after later appends', async () => {
        const stream = newStream(uniqueCategory());
        const events = [counted(1, randomUUID())];
        const first = await store.append(stream, events, { expectedRevision: 'no_stream' });
        await store.append(stream, [counted(2)], { expectedRevision: 0 });
        expect(await store.append(stream, events, { expectedRevision: 'no_stream' })).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      // A retry answers what the first append answered, whatever part of it is sent again: the
      // revision and position of that append's last event (issue 13, defect 6).
      it('answers a retry of part of an earlier append with that append\'s result', async () => {
        const stream = newStream(uniqueCategory());
        const events = [counted(1, randomUUID()), counted(2, randomUUID()), counted(3, randomUUID())];
        const first = await store.append(stream, events, { expectedRevision: 'no_stream' });
        expect(first.nextRevision).toBe(2);
        expect(await store.append(stream, events.slice(0, 2), { expectedRevision: 'no_stream' })).toEqual(first);
        expect(await store.append(stream, events.slice(0, 1))).toEqual(first);
        expect(await store.append(stream, events.slice(1))).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('compares metadata: the same id with other metadata is a conflict naming the id', async () => {
        const stream = newStream(uniqueCategory());
        const id = randomUUID();
        const correlationId = randomUUID();
        const first = await store.append(stream, [{ ...counted(1, id), metadata: { correlationId, actor: 'user-1' } }]);
        expect(await store.append(stream, [{ ...counted(1, id), metadata: { actor: 'user-1', correlationId } }])).toEqual(first);
        const error = await store
          .append(stream, [{ ...counted(1, id), metadata: { correlationId: randomUUID(), actor: 'user-1' } }])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect((error as IdempotencyConflictError).eventId).toBe(id);
        expect((error as Error).message).toContain(id);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('names the id whose content differs', async () => {
        const stream = newStream(uniqueCategory());
        const ids = [randomUUID(), randomUUID()];
        await store.append(stream, [counted(1, ids[0]), counted(2, ids[1])]);
        const error = await store.append(stream, [counted(1, ids[0]), counted(3, ids[1])]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect((error as IdempotencyConflictError).eventId).toBe(ids[1]);
      });

      it('refuses the same id with another payload', async () => {
        const stream = newStream(uniqueCategory());
        const id = randomUUID();
        await store.append(stream, [counted(1, id)]);
        await expect(store.append(stream, [counted(2, id)])).rejects.toBeInstanceOf(IdempotencyConflictError);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      const [sameIdTitle, sameIdIt] = unless('eventIdsUniqueAcrossStreams', 'refuses the same id in another stream');
      sameIdIt(sameIdTitle, async () => {
        const category = uniqueCategory();
        const id = randomUUID();
        await store.append(newStream(category), [counted(1, id)]);
        const other = newStream(category);
        await expect(store.append(other, [counted(1, id)])).rejects.toBeInstanceOf(IdempotencyConflictError);
        await expect(store.readStream(other)).rejects.toBeInstanceOf(StreamNotFoundError);
      });

      it('refuses the same id twice in one append', async () => {
        const id = randomUUID();
        await expect(store.append(newStream(uniqueCategory()), [counted(1, id), counted(2, id)])).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
      });
    });

    describe('bad input is refused with a typed error and nothing is written', () => {
      it.each([
        ['an invalid stream id', 'not a stream', counted(1), InvalidStreamIdError],
        ['an unknown event type', 'VALID', { type: 'ThingTeleported', data: { n: 1 } }, UnknownEventTypeError],
        ['a payload that fails validation', 'VALID', { type: 'ThingCounted', data: { n: -1 } }, EventValidationError],
        ['a payload with unknown fields', 'VALID', { type: 'ThingCounted', data: { n: 1, x: 2 } }, EventValidationError],
        ['an event id that is not a UUID', 'VALID', { id: 'abc', type: 'ThingCounted', data: { n: 1 } }, InvalidArgumentError],
      ])('%s', async (_label, streamArg, bad, errorType) => {
        const category = uniqueCategory();
        const stream = streamArg === 'VALID' ? newStream(category) : streamArg;
        const headBefore = await store.headPosition();
        const error = await store.append(stream, [counted(1), bad]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(errorType);
        expect((error as Error).message.length).toBeGreaterThan(10);
        if (streamArg === 'VALID') await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
        const page = await store.readAll({ fromPosition: headBefore, filter: { categories: [category] } });
        expect(page.events).toHaveLength(0);
      });

      // Issue 13, defect 5: what JSON or PostgreSQL cannot hold, or what would overflow the stack,
      // is refused before anything is written, naming the field, in data and metadata alike.
      const deeply = (levels: number): Record<string, unknown> => {
        let value: Record<string, unknown> = {};
        for (let i = 0; i < levels; i++) value = { a: value };
        return value;
      };
      const circular = (): Record<string, unknown> => {
        const value: Record<string, unknown> = { actor: 'user-1' };
        value.self = value;
        return value;
      };
      const deepPath = (prefix: string, levels: number): string => [prefix, ...Array<string>(levels).fill('a')].join('.');
      it.each<[string, NewEvent, string]>([
        ['U+0000 in data', { type: 'ThingCounted', data: { n: 1, note: 'a\u0000b' } }, 'data.note'],
        ['a lone surrogate in data', { type: 'ThingCounted', data: { n: 1, note: 'a\ud800b' } }, 'data.note'],
        ['data nested 100,000 deep', { type: 'ThingCounted', data: { n: 1, x: deeply(100_000) } }, deepPath('data.x', 63)],
        ['U+0000 in metadata', { ...counted(1), metadata: { correlationId: 'c\u0000' } }, 'metadata.correlationId'],
        ['U+0000 in a metadata key', { ...counted(1), metadata: { 'k\u0000': 'v' } }, 'metadata.k\u0000'],
        ['a lone surrogate in metadata', { ...counted(1), metadata: { actor: '\udc00user' } }, 'metadata.actor'],
        ['metadata nested 5,000 deep', { ...counted(1), metadata: { deep: deeply(5_000) } }, deepPath('metadata.deep', 63)],
        ['a BigInt in metadata', { ...counted(1), metadata: { big: 10n } }, 'metadata.big'],
        ['circular metadata', { ...counted(1), metadata: circular() }, 'metadata.self'],
        ['10 MB of metadata', { ...counted(1), metadata: { blob: 'x'.repeat(10 * 1024 * 1024) } }, 'metadata'],
      ])('refuses %s with a ValidationError naming the field', async (_label, bad, path) => {
        const category = uniqueCategory();
        const stream = newStream(category);
        const headBefore = await store.headPosition();
        const error = await store.append(stream, [counted(1), bad]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).violations.map((v) => v.path)).toEqual([path]);
        expect((error as Error).message).toContain('event 1');
        await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
        const page = await store.readAll({ fromPosition: headBefore, filter: { categories: [category] } });
        expect(page.events).toHaveLength(0);
      });

      it.each([
        ['U+0000 in a category', { categories: ['thing\u0000'] }, 'filter.categories.0'],
        ['a lone surrogate in an event type', { eventTypes: ['ThingCounted', 'Thing\ud800'] }, 'filter.eventTypes.1'],
      ])('refuses %s of a filter in readAll and subscribeToAll, naming the field', async (_label, filter, path) => {
        const read = await store.readAll({ filter }).catch((e: unknown) => e);
        expect(read).toBeInstanceOf(ValidationError);
        expect((read as ValidationError).violations.map((v) => v.path)).toEqual([path]);
        const subscribe = async (): Promise<void> => {
          const subscription = store.subscribeToAll({ filter });
          const timer = setTimeout(() => void subscription.close(), 5_000);
          try {
            for await (const _event of subscription) break;
          } finally {
            clearTimeout(timer);
            await subscription.close();
          }
        };
        await expect(subscribe()).rejects.toBeInstanceOf(ValidationError);
      });

      it('refuses an empty append and a bad expected revision', async () => {
        const stream = newStream(uniqueCategory());
        await expect(store.append(stream, [])).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.append(stream, [counted(1)], { expectedRevision: -3 })).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
      });
    });

    describe('schema versions', () => {
      it('upcasts events written with an older version when read', async () => {
        const legacy = await open(legacyTestCatalogue());
        const stream = newStream(uniqueCategory());
        const written = await legacy.append(stream, [{ type: 'ThingNamed', data: { label: 'Ada Lovelace' } }]);
        await waitUntilReadable(store, written.position);
        const [event] = await store.readStream(stream);
        expect(event.data).toEqual({ firstName: 'Ada', lastName: 'Lovelace' });
        expect(event.metadata.schemaVersion).toBe(2);
        const page = await store.readAll({ filter: { eventTypes: ['ThingNamed'], categories: [stream.split('-')[0]] } });
        expect(page.events[0].data).toEqual({ firstName: 'Ada', lastName: 'Lovelace' });
        const raw = await store.readAll({ raw: true, filter: { eventTypes: ['ThingNamed'], categories: [stream.split('-')[0]] } });
        expect(raw.events[0].data).toEqual({ label: 'Ada Lovelace' });
        expect(raw.events[0].metadata.schemaVersion).toBe(1);
      });
    });

    describe('readAll', () => {
      it('reads all events in global order from a position, in pages, with filters', async () => {
        const category = uniqueCategory();
        const otherCategory = uniqueCategory();
        const start = await store.headPosition();
        const a = newStream(category);
        const b = newStream(category);
        await store.append(a, [counted(1), counted(2)]);
        await store.append(newStream(otherCategory), [counted(99)]);
        await store.append(b, [counted(3), { type: 'ThingNamed', data: { firstName: 'A', lastName: 'B' } }]);
        const last = await store.append(a, [counted(4)]);
        await waitUntilReadable(store, last.position);

        const all = await store.readAll({ fromPosition: start, filter: { categories: [category] } });
        expect(all.events.map((e) => e.streamId)).toEqual([a, a, b, b, a]);
        expect(all.isEnd).toBe(true);
        expectAscending(all.events.map((e) => e.position));

        const firstPage = await store.readAll({ fromPosition: start, maxCount: 2, filter: { categories: [category] } });
        expect(firstPage.events).toHaveLength(2);
        expect(firstPage.isEnd).toBe(false);
        const secondPage = await store.readAll({
          fromPosition: firstPage.nextPosition,
          maxCount: 10,
          filter: { categories: [category] },
        });
        expect([...firstPage.events, ...secondPage.events].map((e) => e.id)).toEqual(all.events.map((e) => e.id));

        const named = await store.readAll({ fromPosition: start, filter: { categories: [category], eventTypes: ['ThingNamed'] } });
        expect(named.events.map((e) => e.type)).toEqual(['ThingNamed']);

        const both = await store.readAll({ fromPosition: start, filter: { categories: [category, otherCategory] } });
        expect(both.events).toHaveLength(6);

        const unfiltered = await store.readAll({ fromPosition: start, maxCount: 1000 });
        const ours = unfiltered.events.filter((e) => e.streamId.startsWith(category));
        expect(ours.map((e) => e.id)).toEqual(all.events.map((e) => e.id));
        expect(await store.headPosition()).toBe(unfiltered.events[unfiltered.events.length - 1]?.position ?? start);
      });

      it('refuses a bad maxCount', async () => {
        await expect(store.readAll({ maxCount: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up from a position, then follows live events', async () => {
        const category = uniqueCategory();
        const start = await store.headPosition();
        const stream = newStream(category);
        await store.append(stream, [counted(1), counted(2)]);
        const received = collect(store, { categories: [category] }, 5, start);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await store.append(stream, [counted(3)]);
        await store.append(newStream(category), [counted(4), counted(5)]);
        const events = await received;
        expect(events.map((e) => e.data.n)).toEqual([1, 2, 3, 4, 5]);
        expectAscending(events.map((e) => e.position));
      });

      it('resumes after a checkpoint without repeating it', async () => {
        const category = uniqueCategory();
        const start = await store.headPosition();
        await store.append(newStream(category), [counted(1), counted(2), counted(3)]);
        const firstTwo = await collect(store, { categories: [category] }, 2, start);
        const rest = await collect(store, { categories: [category] }, 1, firstTwo[1].position);
        expect(rest.map((e) => e.data.n)).toEqual([3]);
      });

      it('filters by event type', async () => {
        const category = uniqueCategory();
        const start = await store.headPosition();
        await store.append(newStream(category), [counted(1), { type: 'ThingNamed', data: { firstName: 'x', lastName: 'y' } }]);
        const named = await collect(store, { categories: [category], eventTypes: ['ThingNamed'] }, 1, start);
        expect(named.map((e) => e.type)).toEqual(['ThingNamed']);
      });

      it('ends the iteration when closed', async () => {
        const subscription = store.subscribeToAll({ fromPosition: await store.headPosition(), filter: { categories: [uniqueCategory()] } });
        const iteration = (async () => {
          let count = 0;
          for await (const _event of subscription) count++;
          return count;
        })();
        await new Promise((resolve) => setTimeout(resolve, 100));
        await subscription.close();
        await expect(iteration).resolves.toBe(0);
      });
    });

    describe('stream metadata and deletion', () => {
      it('hides events below truncate-before from readStream', async () => {
        const stream = newStream(uniqueCategory());
        await store.append(stream, [1, 2, 3, 4].map((n) => counted(n)));
        await store.setStreamMetadata(stream, { truncateBefore: 2, custom: { owner: 'contract' } });
        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([2, 3]);
        const state = await store.streamState(stream);
        expect(state?.metadata.truncateBefore).toBe(2);
        expect(state?.metadata.custom).toEqual({ owner: 'contract' });
        expect(state?.revision).toBe(3);
      });

      it('soft-deletes a stream; a later append brings it back with revisions continuing', async () => {
        const stream = newStream(uniqueCategory());
        await store.append(stream, [counted(1), counted(2)]);
        await store.deleteStream(stream, { expectedRevision: 1 });
        await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
        expect((await store.streamState(stream))?.deleted).toBe(true);
        const again = await store.append(stream, [counted(3)]);
        expect(again.nextRevision).toBe(2);
        expect((await store.readStream(stream)).map((e) => e.data.n)).toEqual([3]);
      });

      it('refuses to delete with a wrong expected revision', async () => {
        const stream = newStream(uniqueCategory());
        await store.append(stream, [counted(1)]);
        await expect(store.deleteStream(stream, { expectedRevision: 5 })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('tombstones a stream for good', async () => {
        const stream = newStream(uniqueCategory());
        await store.append(stream, [counted(1)]);
        await store.tombstoneStream(stream);
        await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
        await expect(store.append(stream, [counted(2)])).rejects.toBeInstanceOf(StreamDeletedError);
        expect((await store.streamState(stream))?.tombstoned).toBe(true);
      });
    });

    describe('concurrency', () => {
      it('lets exactly one of 20 writers win each revision; the others get a conflict naming stream, expected and actual', async () => {
        const stream = newStream(uniqueCategory());
        await store.append(stream, [counted(0)], { expectedRevision: 'no_stream' });
        const rounds = 5;
        for (let round = 0; round < rounds; round++) {
          const expected = round;
          const outcomes = await Promise.allSettled(
            Array.from({ length: 20 }, (_, writer) =>
              store.append(stream, [counted(1000 * (round + 1) + writer)], { expectedRevision: expected }),
            ),
          );
          const winners = outcomes.filter((o) => o.status === 'fulfilled');
          const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
          expect(winners).toHaveLength(1);
          expect(losers).toHaveLength(19);
          for (const loser of losers) {
            expect(loser.reason).toBeInstanceOf(WrongExpectedRevisionError);
            expect(loser.reason).toMatchObject({ streamId: stream, expected, actual: expected + 1 });
          }
        }
        const events = await store.readStream(stream);
        expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      });

      it('never lets a subscriber skip or repeat an event while many writers append (repeated)', async () => {
        for (let round = 0; round < 10; round++) {
          const category = uniqueCategory();
          const start = await store.headPosition();
          const writers = 12;
          const appendsPerWriter = 25;
          const expectedIds: string[] = [];
          const subscribed = collect(store, { categories: [category] }, 0, start, 1);
          await subscribed; // a first, empty subscription must end cleanly too
          const total = writers * appendsPerWriter * 2;
          const received = collect(store, { categories: [category] }, total, start, 60_000);
          const shared = newStream(category);
          await Promise.all(
            Array.from({ length: writers }, async (_, writer) => {
              const own = newStream(category);
              for (let i = 0; i < appendsPerWriter; i++) {
                const batch = [counted(i, randomUUID()), counted(i + 1, randomUUID())];
                expectedIds.push(...batch.map((e) => e.id as string));
                await store.append(writer % 2 === 0 ? own : shared, batch);
              }
            }),
          );
          const events = await received;
          const ids = events.map((e) => e.id);
          expect(new Set(ids).size).toBe(ids.length);
          expect(ids.length).toBe(total);
          expect([...ids].sort()).toEqual([...expectedIds].sort());
          expectAscending(events.map((e) => e.position));
          const page = await store.readAll({ fromPosition: start, maxCount: total + 10, filter: { categories: [category] } });
          expect(page.events.map((e) => e.id)).toEqual(ids);
        }
      });
    });
  });
};
