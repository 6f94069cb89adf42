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
import type { EventStore, EventFilter, StreamAppend } from '../port/event-store';
import {
  IdempotencyConflictError,
  InvalidArgumentError,
  InvalidStreamAppendError,
  MultiStreamAppendUnsupportedError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from '../port/errors';
import { waitUntilReadable } from './wait-until-readable';
import { counted, legacyTestCatalogue, newStream, testCatalogue, uniqueCategory } from './test-events';

/** How a suite reaches the adapter under test: every store it opens shares the same storage. */
export interface EventStoreContractTarget {
  open(catalogue: EventCatalogue): Promise<EventStore>;
  /** Called once after the suite, after every opened store was closed. */
  dispose?(): Promise<void>;
}

/** Behaviours an adapter cannot give, each with the reason printed where its case is skipped. */
export type EventStoreLimitations = Partial<Record<'eventIdsUniqueAcrossStreams' | 'multiStreamAppend', string>>;

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

      it('says a subscription has caught up when its events exactly fill the pages read', async () => {
        // The last full page cannot know it is the last; the empty page after it must still say so,
        // or a projection copy waits for one more event before it is told it is live.
        const category = uniqueCategory();
        const start = await store.headPosition();
        const written = await store.append(newStream(category), [counted(1), counted(2), counted(3), counted(4)]);
        await waitUntilReadable(store, written.position);
        const subscription = store.subscribeToAll({ fromPosition: start, filter: { categories: [category] }, batchSize: 2 });
        const timer = setTimeout(() => void subscription.close(), 10_000);
        let seen = 0;
        let caughtUpAfter: number | undefined;
        for await (const page of subscription.pages()) {
          seen += page.events.length;
          if (page.caughtUp) {
            caughtUpAfter = seen;
            break;
          }
        }
        clearTimeout(timer);
        await subscription.close();
        expect(caughtUpAfter).toBe(4);
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
        ['U+0000 in a metadata key', { ...counted(1), metadata: { 'k\u0000': 'v' } }, 'metadata.k\ufffd'],
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

    describe('appendToStreams', () => {
      const [multiTitle, multiIt] = unless('multiStreamAppend', 'writes several streams in one call, in call order');
      const multi = (title: string, test: () => Promise<void>): void => {
        const [t, run] = unless('multiStreamAppend', title);
        run(t, test);
      };
      const countedIn = (n: number) => counted(n, randomUUID());

      multiIt(multiTitle, async () => {
        const category = uniqueCategory();
        const [a, b, c] = [newStream(category), newStream(category), newStream(category)];
        await store.append(c, [countedIn(0)]);
        const appends: StreamAppend[] = [
          { streamId: a, events: [countedIn(1), countedIn(2)], expectedRevision: 'no_stream' },
          { streamId: b, events: [countedIn(3)] },
          { streamId: c, events: [countedIn(4)], expectedRevision: 0 },
        ];
        const result = await store.appendToStreams(appends);
        expect(result.streams.map(({ streamId, nextRevision, duplicate }) => ({ streamId, nextRevision, duplicate }))).toEqual([
          { streamId: a, nextRevision: 1, duplicate: false },
          { streamId: b, nextRevision: 0, duplicate: false },
          { streamId: c, nextRevision: 1, duplicate: false },
        ]);
        expectAscending(result.streams.map((s) => s.position));
        expect(result.position).toBe(result.streams[2].position);
        expect((await store.readStream(a)).map((e) => e.id)).toEqual(appends[0].events.map((e) => e.id));
        const [lastOfA] = await store.readStream(a, { from: 'end', direction: 'backwards', maxCount: 1 });
        expect(lastOfA.position).toBe(result.streams[0].position);
        await waitUntilReadable(store, result.position);
        const page = await store.readAll({ fromPosition: START, filter: { categories: [category] } });
        expect(page.events.map((e) => e.id)).toEqual([
          (await store.readStream(c))[0].id,
          ...appends.flatMap((append) => append.events.map((e) => e.id)),
        ]);
        expectAscending(page.events.map((e) => e.position));
      });

      multi('gives a stream named several times consecutive revisions in call order, each expected revision checked where the call has got to', async () => {
        const category = uniqueCategory();
        const [a, b] = [newStream(category), newStream(category)];
        const result = await store.appendToStreams([
          { streamId: a, events: [countedIn(1), countedIn(2)], expectedRevision: 'no_stream' },
          { streamId: b, events: [countedIn(3)], expectedRevision: 'no_stream' },
          { streamId: a, events: [countedIn(4)], expectedRevision: 1 },
          { streamId: a, events: [countedIn(5)], expectedRevision: 'exists' },
          { streamId: a, events: [countedIn(6)] },
        ]);
        expect(result.streams.map((s) => s.nextRevision)).toEqual([1, 0, 2, 3, 4]);
        expect((await store.readStream(a)).map((e) => e.data.n)).toEqual([1, 2, 4, 5, 6]);
        expect((await store.readStream(a)).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
      });

      multi('writes nothing when an expected revision fails, naming every StreamAppend that failed', async () => {
        const category = uniqueCategory();
        const [a, b, c, d] = [newStream(category), newStream(category), newStream(category), newStream(category)];
        await store.append(b, [countedIn(0), countedIn(1)]);
        const error = await store
          .appendToStreams([
            { streamId: a, events: [countedIn(1)], expectedRevision: 'no_stream' },
            { streamId: b, events: [countedIn(2)], expectedRevision: 5 },
            { streamId: c, events: [countedIn(3)], expectedRevision: 'exists' },
            { streamId: b, events: [countedIn(4)], expectedRevision: 'no_stream' },
            { streamId: d, events: [countedIn(5)], expectedRevision: 'any' },
          ])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        const conflict = error as WrongExpectedRevisionError;
        expect(conflict).toMatchObject({ streamId: b, expected: 5, actual: 1 });
        expect(conflict.conflicts).toEqual([
          { appendIndex: 1, streamId: b, expected: 5, actual: 1 },
          { appendIndex: 2, streamId: c, expected: 'exists', actual: -1 },
          // as appends.1 would have left it
          { appendIndex: 3, streamId: b, expected: 'no_stream', actual: 2 },
        ]);
        expect(conflict.message).toContain(c);
        for (const missing of [a, c, d]) await expect(store.readStream(missing)).rejects.toBeInstanceOf(StreamNotFoundError);
        expect(await store.readStream(b)).toHaveLength(2);
        expect(await store.streamState(a)).toBeUndefined();
      });

      multi('answers StreamAppends already stored as duplicates with their first result, and writes the new ones', async () => {
        const category = uniqueCategory();
        const [order, activity, contact] = [newStream(category), newStream(category), newStream(category)];
        const first: StreamAppend[] = [
          { streamId: order, events: [countedIn(1), countedIn(2)], expectedRevision: 'no_stream' },
          { streamId: activity, events: [countedIn(3)], expectedRevision: 'any' },
        ];
        const stored = await store.appendToStreams(first);
        await store.append(activity, [countedIn(4)]);
        const fresh: StreamAppend[] = [
          { streamId: contact, events: [countedIn(5)], expectedRevision: 'no_stream' },
          { streamId: activity, events: [countedIn(6)], expectedRevision: 'any' },
        ];
        // The same messages again, in another order, beside new ones: the stored ones' expected
        // revisions no longer hold, and are not checked.
        const again = await store.appendToStreams([fresh[0], first[1], fresh[1], first[0]]);
        expect(again.streams.map((s) => [s.streamId, s.nextRevision, s.duplicate])).toEqual([
          [contact, 0, false],
          [activity, 0, true],
          [activity, 2, false],
          [order, 1, true],
        ]);
        expect(again.streams[1].position).toBe(stored.streams[1].position);
        expect(again.streams[3].position).toBe(stored.streams[0].position);
        expect(again.position).toBe(again.streams[2].position);
        expect((await store.readStream(activity)).map((e) => e.data.n)).toEqual([3, 4, 6]);
        expect(await store.readStream(order)).toHaveLength(2);
        const allDuplicates = await store.appendToStreams(first);
        expect(allDuplicates).toEqual({ ...stored, streams: stored.streams.map((s) => ({ ...s, duplicate: true })) });
        // A retry of part of a StreamAppend answers that StreamAppend's result, by append too.
        expect(await store.appendToStreams([{ streamId: order, events: first[0].events.slice(0, 1) }])).toEqual({
          streams: [{ ...stored.streams[0], duplicate: true }],
          position: stored.streams[0].position,
        });
        expect(await store.append(order, first[0].events.slice(1))).toEqual({
          nextRevision: 1,
          position: stored.streams[0].position,
        });
      });

      multi('tells apart StreamAppends to one stream in one call when they are sent again', async () => {
        const stream = newStream(uniqueCategory());
        const parts = [[countedIn(1), countedIn(2)], [countedIn(3)], [countedIn(4), countedIn(5)]];
        const first = await store.appendToStreams(parts.map((events) => ({ streamId: stream, events })));
        expect(first.streams.map((s) => s.nextRevision)).toEqual([1, 2, 4]);
        expect(await store.append(stream, parts[0].slice(0, 1))).toEqual({ nextRevision: 1, position: first.streams[0].position });
        const again = await store.appendToStreams([{ streamId: stream, events: parts[1] }, { streamId: stream, events: parts[2].slice(1) }]);
        expect(again.streams.map((s) => [s.nextRevision, s.duplicate])).toEqual([[2, true], [4, true]]);
        // Ids of two StreamAppends sent as one are no retry of either.
        const error = await store.append(stream, [...parts[0], ...parts[1]]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect(await store.readStream(stream)).toHaveLength(5);
      });

      multi('refuses a StreamAppend that mixes stored and new ids, or reuses an id with another payload, writing nothing', async () => {
        const category = uniqueCategory();
        const [a, b] = [newStream(category), newStream(category)];
        const stored = countedIn(1);
        await store.append(a, [stored]);
        const mixed = await store
          .appendToStreams([
            { streamId: b, events: [countedIn(2)] },
            { streamId: a, events: [stored, countedIn(3)] },
          ])
          .catch((e: unknown) => e);
        expect(mixed).toBeInstanceOf(IdempotencyConflictError);
        expect(mixed).toMatchObject({ appendIndex: 1 });
        const changed = await store
          .appendToStreams([
            { streamId: b, events: [countedIn(2)] },
            { streamId: a, events: [{ ...stored, data: { n: 9 } }] },
          ])
          .catch((e: unknown) => e);
        expect(changed).toBeInstanceOf(IdempotencyConflictError);
        expect(changed).toMatchObject({ eventId: stored.id, appendIndex: 1 });
        await expect(store.readStream(b)).rejects.toBeInstanceOf(StreamNotFoundError);
        expect(await store.readStream(a)).toHaveLength(1);
      });

      const [otherStreamTitle, otherStreamIt] = unless(
        limitations.multiStreamAppend ? 'multiStreamAppend' : 'eventIdsUniqueAcrossStreams',
        'appendToStreams refuses an id stored in another stream',
      );
      otherStreamIt(otherStreamTitle, async () => {
        const category = uniqueCategory();
        const [a, b] = [newStream(category), newStream(category)];
        const stored = countedIn(1);
        await store.append(a, [stored]);
        const error = await store.appendToStreams([{ streamId: b, events: [stored] }]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect((error as Error).message).toContain(a);
        await expect(store.readStream(b)).rejects.toBeInstanceOf(StreamNotFoundError);
      });

      multi('refuses a tombstoned stream, naming the StreamAppend, writing nothing', async () => {
        const category = uniqueCategory();
        const [a, gone] = [newStream(category), newStream(category)];
        await store.append(gone, [countedIn(1)]);
        await store.tombstoneStream(gone);
        const error = await store
          .appendToStreams([{ streamId: a, events: [countedIn(2)] }, { streamId: gone, events: [countedIn(3)] }])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StreamDeletedError);
        expect(error).toMatchObject({ streamId: gone, appendIndex: 1 });
        await expect(store.readStream(a)).rejects.toBeInstanceOf(StreamNotFoundError);
      });

      multi('brings a soft-deleted stream back, as append does', async () => {
        const stream = newStream(uniqueCategory());
        await store.append(stream, [countedIn(1)]);
        await store.deleteStream(stream);
        const result = await store.appendToStreams([
          { streamId: stream, events: [countedIn(2)], expectedRevision: 'no_stream' },
          { streamId: stream, events: [countedIn(3)], expectedRevision: 1 },
        ]);
        expect(result.streams.map((s) => s.nextRevision)).toEqual([1, 2]);
        expect((await store.readStream(stream)).map((e) => e.data.n)).toEqual([2, 3]);
      });

      multi('delivers the events of a call to subscribers once each, in call order', async () => {
        const category = uniqueCategory();
        const start = await store.headPosition();
        const appends: StreamAppend[] = Array.from({ length: 30 }, (_, i) => ({
          streamId: newStream(category),
          events: [countedIn(i), countedIn(i + 100)],
        }));
        appends.push({ streamId: appends[0].streamId, events: [countedIn(999)] });
        const received = collect(store, { categories: [category] }, 61, start);
        await store.appendToStreams(appends);
        const events = await received;
        expect(events.map((e) => e.id)).toEqual(appends.flatMap((a) => a.events.map((e) => e.id)));
        expectAscending(events.map((e) => e.position));
      });

      describe('bad input names the StreamAppend and the field, and nothing is written', () => {
        const refuses = async (appends: unknown, path: string, cause?: new (...args: never[]) => Error): Promise<void> => {
          const error = await store.appendToStreams(appends as StreamAppend[]).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).violations.map((v) => v.path)).toContain(path);
          if (cause) {
            expect(error).toBeInstanceOf(InvalidStreamAppendError);
            expect((error as Error).cause).toBeInstanceOf(cause);
          }
        };
        const good = (): StreamAppend => ({ streamId: newStream(uniqueCategory()), events: [countedIn(1)] });

        it('refuses an empty call and a StreamAppend with no events', async () => {
          await refuses([], 'appends');
          await refuses([good(), { streamId: newStream(uniqueCategory()), events: [] }], 'appends.1.events', InvalidArgumentError);
        });

        it('refuses a bad stream id or expected revision', async () => {
          await refuses([good(), { streamId: 'not a stream', events: [countedIn(1)] }], 'appends.1.streamId', InvalidStreamIdError);
          await refuses([{ ...good(), expectedRevision: -4 }], 'appends.0.expectedRevision', InvalidArgumentError);
        });

        it('checks every event against the catalogue and the content limits', async () => {
          const first = good();
          await refuses([first, { ...good(), events: [countedIn(1), { type: 'ThingCounted', data: { n: -1 } }] }], 'appends.1.events.1.n', EventValidationError);
          await refuses([first, { ...good(), events: [{ type: 'ThingTeleported', data: {} }] }], 'appends.1.events.0.type', UnknownEventTypeError);
          await refuses([first, { ...good(), events: [{ type: 'ThingCounted', data: { n: 1, note: 'a\u0000b' } }] }], 'appends.1.events.0.data.note');
          await expect(store.readStream(first.streamId)).rejects.toBeInstanceOf(StreamNotFoundError);
        });

        it('refuses an event id used twice in one call, also across StreamAppends', async () => {
          const event = countedIn(1);
          const first = { ...good(), events: [event] };
          await refuses([first, { ...good(), events: [countedIn(2), event] }], 'appends.1.events.1.id', InvalidArgumentError);
          await refuses([{ ...good(), events: [event, event] }], 'appends.0.events.1.id', InvalidArgumentError);
          await expect(store.readStream(first.streamId)).rejects.toBeInstanceOf(StreamNotFoundError);
        });
      });

      if (limitations.multiStreamAppend) {
        it(`refuses a valid call with MultiStreamAppendUnsupportedError (${limitations.multiStreamAppend})`, async () => {
          const streamId = newStream(uniqueCategory());
          await expect(store.appendToStreams([{ streamId, events: [countedIn(1)] }])).rejects.toBeInstanceOf(
            MultiStreamAppendUnsupportedError,
          );
          await expect(store.readStream(streamId)).rejects.toBeInstanceOf(StreamNotFoundError);
        });
      }
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
