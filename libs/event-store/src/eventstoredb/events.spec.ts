import type { JSONRecordedEvent, RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client';
import type { PreparedEvent } from '../port/prepare-append';
import {
  appendSlotOf,
  compareStoredBatch,
  foreignReason,
  isSameEvent,
  jsonEqual,
  positionOf,
  toEnvelopeMetadata,
  toEventData,
  toRecordedEvent,
  type AppendSlot,
  type StoredEvent,
} from './events';
import { packPosition } from './positions';

const stream = 'thing-0b7e8f8e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const ids = ['6f1c1f0e-3c1a-4a8e-9d7e-0d7f5b3c2a10', '6f1c1f0e-3c1a-4a8e-9d7e-0d7f5b3c2a11', '6f1c1f0e-3c1a-4a8e-9d7e-0d7f5b3c2a12'];

const prepared = (id: string, n: number): PreparedEvent => ({
  id,
  type: 'ThingCounted',
  data: { n },
  metadata: { schemaVersion: 1, correlationId: 'corr-1' },
});

const esdbEvent = (overrides: Partial<JSONRecordedEvent> = {}): EsdbRecordedEvent =>
  ({
    streamId: stream,
    id: ids[0],
    isJson: true,
    revision: 3n,
    type: 'ThingCounted',
    created: new Date('2024-01-02T03:04:05.000Z'),
    data: { n: 1 },
    metadata: { schemaVersion: 1, correlationId: 'corr-1', $correlationId: 'corr-1' },
    position: { commit: 100n, prepare: 100n },
    ...overrides,
  }) as EsdbRecordedEvent;

/** A stored event, with the slot its append gave it (none: written before slots were). */
const stored = (id: string, n: number, revision: number, appendSlot?: AppendSlot): StoredEvent => ({
  ...(appendSlot ? { appendSlot } : {}),
  id,
  type: 'ThingCounted',
  streamId: stream,
  revision,
  position: BigInt(revision + 1) << 64n,
  data: { n },
  metadata: { correlationId: 'corr-1', schemaVersion: 1 },
  recordedAt: new Date(0),
});

describe('EventStoreDB events', () => {
  it('writes a JSON event with the id, type, data, and the envelope metadata plus EventStoreDB’s correlation keys and its append slot', () => {
    const data = toEventData({ ...prepared(ids[0], 1), metadata: { schemaVersion: 2, correlationId: 'c', causationId: 'k', actor: 'u' } }, 1, 3);
    expect(data).toMatchObject({ id: ids[0], type: 'ThingCounted', contentType: 'application/json', data: { n: 1 } });
    expect(data.metadata).toEqual({
      schemaVersion: 2,
      correlationId: 'c',
      causationId: 'k',
      actor: 'u',
      $correlationId: 'c',
      $causationId: 'k',
      $clientelaAppend: [1, 3],
    });
    expect(appendSlotOf(data.metadata)).toEqual({ index: 1, count: 3 });
    expect(appendSlotOf({ $clientelaAppend: [3, 3] })).toBeUndefined();
    expect(appendSlotOf({ schemaVersion: 1 })).toBeUndefined();
  });

  it('reads the envelope back: revision as a number, packed position, recordedAt from created, no $ keys', () => {
    const position = packPosition({ commit: 100n, prepare: 100n });
    expect(toRecordedEvent(esdbEvent(), position)).toEqual({
      id: ids[0],
      type: 'ThingCounted',
      streamId: stream,
      revision: 3,
      position,
      data: { n: 1 },
      metadata: { schemaVersion: 1, correlationId: 'corr-1' },
      recordedAt: new Date('2024-01-02T03:04:05.000Z'),
    });
  });

  it('gives events written by other tools schema version 1', () => {
    expect(toEnvelopeMetadata(undefined)).toEqual({ schemaVersion: 1 });
    expect(toEnvelopeMetadata({ $causedBy: 'x', source: 'legacy' })).toEqual({ source: 'legacy', schemaVersion: 1 });
    expect(toEnvelopeMetadata(new Uint8Array([1]))).toEqual({ schemaVersion: 1 });
  });

  it('recognises events that cannot be port events', () => {
    expect(foreignReason(esdbEvent())).toBeUndefined();
    expect(foreignReason(esdbEvent({ data: [1, 2] }))).toMatch(/not a JSON object/);
    const binary = { ...esdbEvent(), isJson: false, data: new Uint8Array([1]) } as EsdbRecordedEvent;
    expect(foreignReason(binary)).toMatch(/content type/);
    expect(toRecordedEvent(binary, 1n)).toBeUndefined();
  });

  it('takes the position of the record, else the commit position of an old server', () => {
    expect(positionOf(esdbEvent(), {})).toBe(packPosition({ commit: 100n, prepare: 100n }));
    const noPosition = esdbEvent({ position: undefined });
    expect(positionOf(noPosition, { commitPosition: 42n })).toBe(packPosition({ commit: 42n, prepare: 42n }));
    expect(positionOf(noPosition, {})).toBeUndefined();
    const max = (1n << 64n) - 1n;
    expect(positionOf(esdbEvent({ position: { commit: max, prepare: max } }), {})).toBeUndefined();
  });

  it('compares JSON values regardless of key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: null }, { a: undefined })).toBe(false);
  });

  it('calls an event the same when id, type, data and metadata are (key order aside)', () => {
    expect(isSameEvent(stored(ids[0], 1, 0), prepared(ids[0], 1))).toBe(true);
    expect(isSameEvent(stored(ids[0], 1, 0), { ...prepared(ids[0], 1), metadata: { schemaVersion: 1, correlationId: 'other' } })).toBe(false);
    expect(isSameEvent(stored(ids[0], 1, 0), prepared(ids[0], 2))).toBe(false);
    expect(isSameEvent(stored(ids[0], 1, 0), { ...prepared(ids[0], 1), type: 'ThingNamed' })).toBe(false);
  });

  describe('a batch against what is stored where it would go', () => {
    const batch = [prepared(ids[0], 1), prepared(ids[1], 2)];

    it('is the same batch: a retry', () => {
      const slot = (index: number) => ({ index, count: 3 });
      expect(compareStoredBatch(stream, [stored(ids[0], 1, 4, slot(0)), stored(ids[1], 2, 5, slot(1))], batch)).toEqual({
        kind: 'same',
        lastRevision: 6,
      });
      // Written before append slots: it ends where it is.
      expect(compareStoredBatch(stream, [stored(ids[0], 1, 4), stored(ids[1], 2, 5)], batch)).toEqual({ kind: 'same', lastRevision: 5 });
    });

    it('spreads over two appends: a conflict naming its first event', () => {
      const single = { index: 0, count: 1 };
      expect(compareStoredBatch(stream, [stored(ids[0], 1, 4, single), stored(ids[1], 2, 5, single)], batch)).toMatchObject({
        kind: 'changed',
        eventId: ids[0],
      });
      expect(compareStoredBatch(stream, [stored(ids[0], 1, 4, single), stored(ids[1], 2, 5)], batch)).toMatchObject({ kind: 'changed' });
    });

    it('has the same ids with another payload: a conflict naming the event', () => {
      const result = compareStoredBatch(stream, [stored(ids[0], 1, 4), stored(ids[1], 9, 5)], batch);
      expect(result).toMatchObject({ kind: 'changed', eventId: ids[1] });
    });

    it('holds one of its ids among other events: a conflict', () => {
      expect(compareStoredBatch(stream, [stored(ids[2], 1, 4), stored(ids[0], 1, 5)], batch)).toMatchObject({
        kind: 'reused',
        eventId: ids[0],
      });
      expect(compareStoredBatch(stream, [stored(ids[0], 1, 4)], batch)).toMatchObject({ kind: 'reused' });
    });

    it('holds none of its ids', () => {
      expect(compareStoredBatch(stream, [stored(ids[2], 1, 4)], batch)).toEqual({ kind: 'absent' });
      expect(compareStoredBatch(stream, [], batch)).toEqual({ kind: 'absent' });
    });
  });
});
