import {
  jsonEvent,
  type AllStreamResolvedEvent,
  type EventData,
  type RecordedEvent as EsdbRecordedEvent,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { EventMetadata, Position, RecordedEvent } from '@clientela/contracts';
import type { PreparedEvent } from '../port/prepare-append';
import { isRealPosition, packPosition } from './positions';
import { toRevisionNumber } from './revisions';

type JsonObject = Record<string, unknown>;

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/**
 * Where an event sits in the append that wrote it: `[index, count]` under this metadata key.
 * EventStoreDB gives the events of one append nothing in common that a client can read (since
 * 20.x each is its own committed record, commit == prepare), so the adapter writes it down: a
 * retry of part of an append is answered with that append's last event, and a batch that spans
 * several appends is no retry. Reads drop it with the other `$` keys.
 */
export const APPEND_SLOT_KEY = '$clientelaAppend';

export interface AppendSlot {
  readonly index: number;
  readonly count: number;
}

/**
 * What goes to the server: a JSON event with the port's id, type and data, and the envelope
 * metadata (schemaVersion included) as the event's JSON metadata. The correlation and causation
 * ids are also written under EventStoreDB's own keys (`$correlationId`, `$causationId`) so that
 * its `$by_correlation_id` projection and UI see them; reads drop every `$` key again.
 */
export const toEventData = (event: PreparedEvent, index = 0, count = 1): EventData => {
  const metadata: JsonObject = { ...event.metadata };
  if (typeof event.metadata.correlationId === 'string') metadata.$correlationId = event.metadata.correlationId;
  if (typeof event.metadata.causationId === 'string') metadata.$causationId = event.metadata.causationId;
  metadata[APPEND_SLOT_KEY] = [index, count];
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata });
};

/** The append slot written with an event; undefined for events written before it was (or by other tools). */
export const appendSlotOf = (metadata: unknown): AppendSlot | undefined => {
  if (!isJsonObject(metadata)) return undefined;
  const slot = metadata[APPEND_SLOT_KEY];
  if (!Array.isArray(slot) || slot.length !== 2) return undefined;
  const [index, count] = slot as unknown[];
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) return undefined;
  if ((index as number) < 0 || (index as number) >= (count as number)) return undefined;
  return { index: index as number, count: count as number };
};

/** The envelope metadata of a stored event; events written by other tools get schemaVersion 1. */
export const toEnvelopeMetadata = (stored: unknown): EventMetadata => {
  const metadata: JsonObject = {};
  if (isJsonObject(stored)) {
    for (const [key, value] of Object.entries(stored)) if (!key.startsWith('$')) metadata[key] = value;
  }
  const schemaVersion = typeof metadata.schemaVersion === 'number' ? metadata.schemaVersion : 1;
  return { ...metadata, schemaVersion };
};

/** An event's packed position, from its own record or, for servers before 22.6, from the commit position. */
export const positionOf = (
  event: EsdbRecordedEvent,
  resolved: Pick<ResolvedEvent | AllStreamResolvedEvent, 'commitPosition'>,
): Position | undefined => {
  if (isRealPosition(event.position)) return packPosition(event.position);
  // Since 20.x an append writes each event as its own committed record: commit == prepare.
  const commit = resolved.commitPosition;
  if (commit !== undefined && isRealPosition({ commit, prepare: commit })) return packPosition({ commit, prepare: commit });
  return undefined;
};

/** Why a stored event cannot be a port event, or undefined when it can. */
export const foreignReason = (event: EsdbRecordedEvent): string | undefined => {
  if (!event.isJson) return 'its content type is not application/json';
  if (!isJsonObject(event.data)) return 'its data is not a JSON object';
  return undefined;
};

/**
 * The port's envelope of a stored event (before upcasting). Returns undefined for events that
 * were not written through the port (binary data, data that is not a JSON object).
 */
export const toRecordedEvent = (event: EsdbRecordedEvent, position: Position): RecordedEvent | undefined => {
  if (foreignReason(event) !== undefined || !isJsonObject(event.data)) return undefined;
  return {
    // The server answers with .NET's lowercase form; lowercasing keeps ids comparable with the port's whatever the format.
    id: event.id.toLowerCase(),
    type: event.type,
    streamId: event.streamId,
    revision: toRevisionNumber(event.revision),
    position,
    data: event.data,
    metadata: toEnvelopeMetadata(event.metadata),
    recordedAt: event.created,
  };
};

/** Deep equality of two JSON values (key order ignored), as they round-trip through the server. */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a).filter((key) => a[key] !== undefined);
    const otherKeys = Object.keys(b).filter((key) => b[key] !== undefined);
    return keys.length === otherKeys.length && keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
};

/** The JSON form of a value, as the server will store it (drops undefined, turns Dates into strings...). */
export const asStoredJson = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
};

/** The metadata an appended event will read back with (JSON round trip, `$` keys dropped). */
const storedMetadataOf = (event: PreparedEvent): EventMetadata => toEnvelopeMetadata(asStoredJson(event.metadata));

/**
 * Whether a stored event is the same event as one being appended again: same id, type, data and
 * metadata (key order aside), as in the PostgreSQL adapter. A retried request that brings a new
 * correlation id is not the same event: it must send its first attempt's metadata.
 */
export const isSameEvent = (stored: RecordedEvent, event: PreparedEvent): boolean =>
  stored.id === event.id &&
  stored.type === event.type &&
  jsonEqual(stored.data, asStoredJson(event.data)) &&
  jsonEqual(stored.metadata, storedMetadataOf(event));

/** How a batch being appended compares with the events stored where it would be (same length, same order). */
export type StoredBatch =
  /** A retry: `lastRevision` is that of the last event of the append it repeats (all or part of). */
  | { kind: 'same'; lastRevision: number }
  | { kind: 'absent' }
  /** The batch's ids, in order, but another type, data or metadata, or spread over several appends: the ids were reused. */
  | { kind: 'changed'; eventId: string; reason: string }
  /** Some of the batch's ids among other events: the ids were reused in another append. */
  | { kind: 'reused'; eventId: string; reason: string };

/** A stored event with the slot its append gave it (see APPEND_SLOT_KEY). */
export type StoredEvent = RecordedEvent & { readonly appendSlot?: AppendSlot };

/**
 * Compares the events stored at the revisions a batch would occupy with the batch itself.
 * `same`: it is this batch, or part of one append, already written (a retry). `absent`: none of
 * the batch's ids is there.
 */
export const compareStoredBatch = (
  streamId: string,
  stored: readonly StoredEvent[],
  batch: readonly PreparedEvent[],
): StoredBatch => {
  const sameIds = stored.length === batch.length && stored.every((event, i) => event.id === batch[i].id);
  if (sameIds) {
    const differing = batch.findIndex((event, i) => !isSameEvent(stored[i], event));
    if (differing >= 0) {
      return {
        kind: 'changed',
        eventId: batch[differing].id,
        reason: `with another type, data or metadata in stream ${streamId} (revision ${stored[differing].revision})`,
      };
    }
    const slots = stored.map((event) => event.appendSlot);
    // Written before append slots were: nothing tells where its append began or ended.
    if (slots.every((slot) => slot === undefined)) return { kind: 'same', lastRevision: stored[stored.length - 1].revision };
    const [head] = slots;
    const oneAppend =
      head !== undefined &&
      slots.every((slot, i) => slot !== undefined && slot.count === head.count && slot.index === head.index + i);
    if (oneAppend) return { kind: 'same', lastRevision: stored[0].revision - head.index + head.count - 1 };
    return {
      kind: 'changed',
      eventId: batch[0].id,
      reason: `in stream ${streamId} (revisions ${stored[0].revision}..${stored[stored.length - 1].revision}) across several appends, not one`,
    };
  }
  const ids = new Set(batch.map((event) => event.id));
  const reused = stored.find((event) => ids.has(event.id));
  if (reused) {
    return {
      kind: 'reused',
      eventId: reused.id,
      reason: `in another append to stream ${streamId} (revision ${reused.revision}) that held other events`,
    };
  }
  return { kind: 'absent' };
};
