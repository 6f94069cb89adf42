import { randomUUID } from 'node:crypto';
import { assertStreamId, type EventCatalogue, type EventMetadata, type NewEvent, type StreamId } from '@clientela/contracts';
import type { ExpectedRevision } from './event-store';
import { InvalidArgumentError } from './errors';
import { assertStorableEventContent, DEFAULT_EVENT_CONTENT_LIMITS, type EventContentLimits } from './event-content';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event checked against the catalogue, with its id and schema version fixed: what an adapter writes. */
export interface PreparedEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

/** Refuses an event whose data and metadata, as stored JSON, exceed `maxEventBytes`. */
const assertEventSize = (index: number, data: unknown, metadata: unknown, maxEventBytes: number): void => {
  const dataBytes = Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8');
  const metadataBytes = Buffer.byteLength(JSON.stringify(metadata) ?? '', 'utf8');
  if (dataBytes + metadataBytes <= maxEventBytes) return;
  const field = dataBytes >= metadataBytes ? 'data' : 'metadata';
  throw new InvalidArgumentError(
    `event ${index}: data and metadata take ${dataBytes + metadataBytes} bytes as JSON, more than the ${maxEventBytes} an event may have`,
    [{ path: `events.${index}.${field}`, constraints: { maxEventBytes: `data and metadata must take at most ${maxEventBytes} bytes as JSON` } }],
  );
};

export const assertExpectedRevision = (expected: unknown): ExpectedRevision => {
  if (expected === 'no_stream' || expected === 'any' || expected === 'exists') return expected;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return expected;
  throw new InvalidArgumentError(
    `expectedRevision must be 'no_stream', 'any', 'exists' or a revision >= 0, got ${JSON.stringify(expected)}`,
    [{ path: 'expectedRevision', constraints: { expectedRevision: 'invalid' } }],
  );
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
  const prepared = events.map((event, index): PreparedEvent => {
    const id = event.id ?? randomUUID();
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
    assertStorableEventContent(event, index, contentLimits);
    const { metadata } = catalogue.prepare(event);
    assertEventSize(index, event.data, metadata, contentLimits.maxEventBytes);
    return { id: key, type: event.type, data: event.data, metadata: metadata as EventMetadata };
  });
  return { streamId, events: prepared, expectedRevision: expected };
};

export const DEFAULT_READ_PAGE = 500;

export const assertMaxCount = (maxCount: unknown, fallback: number): number => {
  if (maxCount === undefined) return fallback;
  if (typeof maxCount === 'number' && Number.isSafeInteger(maxCount) && maxCount > 0) return maxCount;
  throw new InvalidArgumentError(`maxCount must be a positive integer, got ${JSON.stringify(maxCount)}`, [
    { path: 'maxCount', constraints: { maxCount: 'must be a positive integer' } },
  ]);
};
