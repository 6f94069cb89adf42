import type { Position } from './position';
import type { StreamId } from './stream-id';

/** What travels with every event besides its payload. */
export interface EventMetadata {
  /** The request or flow that caused this event; stays the same along a chain. */
  correlationId?: string;
  /** The id of the event or command that directly caused this one. */
  causationId?: string;
  /** Who did it: a user id, an api key id, or a service name. */
  actor?: string;
  /** When it happened in the world (ISO-8601); differs from recordedAt for ingested events. */
  occurredAt?: string;
  /** The system it came from: a service name or an ingest source. */
  source?: string;
  /** The payload's schema version; set by the catalogue on append. */
  schemaVersion: number;
  /** Further keys are kept as they are. */
  [key: string]: unknown;
}

/** An event as it is read back from the store. */
export interface RecordedEvent<TType extends string = string, TData = Record<string, unknown>> {
  /** UUID, the idempotency key everywhere. */
  readonly id: string;
  readonly type: TType;
  readonly streamId: StreamId;
  /** 0-based place in its stream. */
  readonly revision: number;
  /** Place in the whole store. */
  readonly position: Position;
  readonly data: TData;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}

/** An event to append. The id defaults to a new UUID; give one to make the append idempotent. */
export interface NewEvent<TType extends string = string, TData = Record<string, unknown>> {
  id?: string;
  type: TType;
  data: TData;
  metadata?: Omit<Partial<EventMetadata>, 'schemaVersion'>;
}

/** The serialisable form of a recorded event (position as a decimal string, dates as ISO). */
export interface EventEnvelopeJson {
  id: string;
  type: string;
  streamId: string;
  revision: number;
  position: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recordedAt: string;
}

export const toEnvelopeJson = (event: RecordedEvent): EventEnvelopeJson => ({
  id: event.id,
  type: event.type,
  streamId: event.streamId,
  revision: event.revision,
  position: event.position.toString(10),
  data: event.data,
  metadata: event.metadata,
  recordedAt: event.recordedAt.toISOString(),
});
