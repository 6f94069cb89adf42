import { assertStreamId, ValidationError, type EventCatalogue, type EventMetadata, type NewEvent, type StreamId } from '@clientela/contracts';
import type { ExpectedRevision, StreamAppend } from './event-store';
import { InvalidArgumentError, InvalidStreamAppendError } from './errors';
import { DEFAULT_EVENT_CONTENT_LIMITS, storableEventJson, type EventContentLimits } from './event-content';
import { timeOrderedUuid } from './event-ids';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event checked against the catalogue, with its id and schema version fixed: what an adapter writes. */
export interface PreparedEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  /** `data` and `metadata` as the JSON text that was checked and measured (read it with preparedJsonOf). */
  json?: PreparedJson;
}

export interface PreparedJson {
  /** The objects the texts were made from: an event whose data was replaced since (sealed) is serialised again. */
  readonly of: { readonly data: object; readonly metadata: object };
  readonly data: string;
  readonly metadata: string;
}

/**
 * An event's data and metadata as JSON text for storage: the text prepareAppend made, so that an
 * append serialises each event once; made again for whatever was replaced since (sealed data).
 */
export const preparedJsonOf = (event: PreparedEvent): { data: string; metadata: string } => {
  const json = event.json;
  return {
    data: json?.of.data === event.data ? json.data : JSON.stringify(event.data),
    metadata: json?.of.metadata === event.metadata ? json.metadata : JSON.stringify(event.metadata),
  };
};

/** Refuses an event whose data and metadata, as stored JSON, exceed `maxEventBytes`. */
const assertEventSize = (index: number, dataJson: string | undefined, metadataJson: string, maxEventBytes: number): void => {
  const dataBytes = Buffer.byteLength(dataJson ?? '', 'utf8');
  const metadataBytes = Buffer.byteLength(metadataJson, 'utf8');
  if (dataBytes + metadataBytes <= maxEventBytes) return;
  const field = dataBytes >= metadataBytes ? 'data' : 'metadata';
  throw new InvalidArgumentError(
    `event ${index}: data and metadata take ${dataBytes + metadataBytes} bytes as JSON, more than the ${maxEventBytes} an event may have`,
    [{ path: `events.${index}.${field}`, constraints: { maxEventBytes: `data and metadata must take at most ${maxEventBytes} bytes as JSON` } }],
  );
};

/**
 * The JSON of the catalogue's stamped metadata (`{ ...given, schemaVersion }`) from the JSON of the
 * given metadata, without serialising it again: the stamp is the last key. Undefined where that does
 * not hold (a schemaVersion given, or metadata that is not a plain object).
 */
const stampedMetadataJson = (given: unknown, givenJson: string | undefined, stamped: { schemaVersion: number }): string | undefined => {
  const stamp = `"schemaVersion":${JSON.stringify(stamped.schemaVersion)}}`;
  if (given === undefined) return `{${stamp}`;
  if (givenJson === undefined || typeof given !== 'object' || given === null || Object.getPrototypeOf(given) !== Object.prototype) return undefined;
  if (Object.hasOwn(given, 'schemaVersion') || Object.hasOwn(given, 'toJSON')) return undefined;
  return givenJson === '{}' ? `{${stamp}` : `${givenJson.slice(0, -1)},${stamp}`;
};

export const assertExpectedRevision = (expected: unknown): ExpectedRevision => {
  if (expected === 'no_stream' || expected === 'any' || expected === 'exists') return expected;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return expected;
  throw new InvalidArgumentError(
    `expectedRevision must be 'no_stream', 'any', 'exists' or a revision >= 0, got ${JSON.stringify(expected)}`,
    [{ path: 'expectedRevision', constraints: { expectedRevision: 'invalid' } }],
  );
};

/** One event of an append, checked; `seen` holds the ids of the append (or call) so far. */
const prepareEvent = (
  catalogue: EventCatalogue,
  event: NewEvent,
  index: number,
  seen: Set<string>,
  contentLimits: EventContentLimits,
): PreparedEvent => {
  const id = event.id ?? timeOrderedUuid();
  if (!UUID.test(id)) {
    throw new InvalidArgumentError(`event ${index}: id ${JSON.stringify(id)} is not a UUID`, [
      { path: `events.${index}.id`, constraints: { isUuid: 'must be a UUID' } },
    ]);
  }
  const key = id.toLowerCase();
  if (seen.has(key)) {
    throw new InvalidArgumentError(`event ${index}: id ${id} appears twice in one append`, [
      { path: `events.${index}.id`, constraints: { unique: 'must be unique within the append' } },
    ]);
  }
  seen.add(key);
  const checked = storableEventJson(event, index, contentLimits);
  const { metadata } = catalogue.prepare(event);
  const metadataJson = stampedMetadataJson(event.metadata, checked.metadata, metadata) ?? JSON.stringify(metadata);
  assertEventSize(index, checked.data, metadataJson, contentLimits.maxEventBytes);
  const json = checked.data === undefined ? undefined : { of: { data: event.data, metadata }, data: checked.data, metadata: metadataJson };
  return { id: key, type: event.type, data: event.data, metadata: metadata as EventMetadata, json };
};

/**
 * Everything both adapters check before they touch storage, so that bad input fails the
 * same way everywhere and nothing is written: the stream id, the event ids, what data and
 * metadata hold and each event's size (see event-content.ts), the types and payloads (against the
 * catalogue) and the expected revision.
 */
export const prepareAppend = (
  catalogue: EventCatalogue,
  streamId: StreamId,
  events: readonly NewEvent[],
  expectedRevision: unknown = 'any',
  contentLimits: EventContentLimits = DEFAULT_EVENT_CONTENT_LIMITS,
): { streamId: StreamId; events: PreparedEvent[]; expectedRevision: ExpectedRevision } => {
  assertStreamId(streamId);
  const expected = assertExpectedRevision(expectedRevision);
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidArgumentError('an append needs at least one event', [
      { path: 'events', constraints: { arrayNotEmpty: 'must hold at least one event' } },
    ]);
  }
  const seen = new Set<string>();
  const prepared = events.map((event, index) => prepareEvent(catalogue, event, index, seen, contentLimits));
  return { streamId, events: prepared, expectedRevision: expected };
};

export interface PreparedStreamAppend {
  streamId: StreamId;
  events: PreparedEvent[];
  expectedRevision: ExpectedRevision;
}

/**
 * prepareAppend for each StreamAppend of an appendToStreams call, so that both adapters refuse
 * the same calls: a failure is an InvalidStreamAppendError naming the StreamAppend and the event
 * (its cause is what `append` would have thrown). An event id may appear once in the whole call:
 * twice would make one StreamAppend a duplicate of another in the same transaction.
 */
export const prepareStreamAppends = (
  catalogue: EventCatalogue,
  appends: readonly StreamAppend[],
  contentLimits: EventContentLimits = DEFAULT_EVENT_CONTENT_LIMITS,
): PreparedStreamAppend[] => {
  if (!Array.isArray(appends) || appends.length === 0) {
    throw new InvalidArgumentError('appendToStreams needs at least one StreamAppend', [
      { path: 'appends', constraints: { arrayNotEmpty: 'must hold at least one StreamAppend' } },
    ]);
  }
  const seen = new Map<string, number>();
  return appends.map((append: StreamAppend | undefined, appendIndex): PreparedStreamAppend => {
    const streamId = append?.streamId;
    let eventIndex: number | undefined;
    try {
      if (typeof append !== 'object' || append === null) {
        throw new InvalidArgumentError('a StreamAppend must be an object', [{ path: '', constraints: { isObject: 'must be { streamId, events, expectedRevision? }' } }]);
      }
      assertStreamId(append.streamId);
      const expectedRevision = assertExpectedRevision(append.expectedRevision ?? 'any');
      if (!Array.isArray(append.events) || append.events.length === 0) {
        throw new InvalidArgumentError('a StreamAppend needs at least one event', [
          { path: 'events', constraints: { arrayNotEmpty: 'must hold at least one event' } },
        ]);
      }
      const own = new Set<string>();
      const events = append.events.map((event, index) => {
        eventIndex = index;
        const prepared = prepareEvent(catalogue, event, index, own, contentLimits);
        const earlier = seen.get(prepared.id);
        if (earlier !== undefined) {
          throw new InvalidArgumentError(`event ${index}: id ${prepared.id} is also in appends.${earlier}`, [
            { path: `events.${index}.id`, constraints: { unique: 'must be unique within the call' } },
          ]);
        }
        return prepared;
      });
      eventIndex = undefined;
      for (const event of events) seen.set(event.id, appendIndex);
      return { streamId: append.streamId, events, expectedRevision };
    } catch (error) {
      if (error instanceof ValidationError) throw new InvalidStreamAppendError(appendIndex, streamId, error, eventIndex);
      throw error;
    }
  });
};

export const DEFAULT_READ_PAGE = 500;

export const assertMaxCount = (maxCount: unknown, fallback: number): number => {
  if (maxCount === undefined) return fallback;
  if (typeof maxCount === 'number' && Number.isSafeInteger(maxCount) && maxCount > 0) return maxCount;
  throw new InvalidArgumentError(`maxCount must be a positive integer, got ${JSON.stringify(maxCount)}`, [
    { path: 'maxCount', constraints: { maxCount: 'must be a positive integer' } },
  ]);
};
