import {
  parsePosition,
  type EventCatalogue,
  type EventEnvelopeJson,
  type RecordedEvent,
} from '@clientela/contracts';
import type { PersonalDataCodec } from '@clientela/event-store';
import { errorMessage } from '@clientela/platform';
import { isConnectionError, PoisonMessageError } from './errors';
import { EventHeaders } from './headers';

/** Where a message was read from: a Kafka partition offset, or a position in the event store. */
export type MessageOrigin =
  | { kind: 'kafka'; topic: string; partition: number; offset: string }
  | { kind: 'store'; position: string };

/** A message as any transport delivers it, before it is decoded. */
export interface IncomingMessage {
  origin: MessageOrigin;
  key?: string;
  headers: Record<string, string>;
  /** The value as it travelled (JSON text). */
  value: string;
  /** Set when the transport already holds the event (standalone mode); saves parsing the value. */
  event?: RecordedEvent;
}

/** A message made sense of: its dedupe key, the type its handlers are found by, and what they get. */
export interface DecodedMessage<T> {
  key: string;
  type: string;
  payload: T;
}

/** Turns a message into what handlers take; throws PoisonMessageError when it cannot. */
export type MessageDecoder<T> = (message: IncomingMessage) => DecodedMessage<T> | Promise<DecodedMessage<T>>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const parseJson = (value: string): unknown => {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new PoisonMessageError('malformed_message', `value is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
};

/** The envelope the relay publishes (toEnvelopeJson), back to a RecordedEvent. */
export const eventFromEnvelopeJson = (json: unknown): RecordedEvent => {
  if (!isRecord(json)) throw new PoisonMessageError('malformed_message', 'value is not an event envelope object');
  const { id, type, streamId, revision, position, data, metadata, recordedAt } = json as Partial<EventEnvelopeJson>;
  const missing = [
    typeof id === 'string' && id ? undefined : 'id',
    typeof type === 'string' && type ? undefined : 'type',
    typeof streamId === 'string' && streamId ? undefined : 'streamId',
    Number.isInteger(revision) ? undefined : 'revision',
    typeof position === 'string' ? undefined : 'position',
    isRecord(data) ? undefined : 'data',
    isRecord(metadata) ? undefined : 'metadata',
  ].filter((field): field is string => field !== undefined);
  if (missing.length > 0) throw new PoisonMessageError('malformed_message', `event envelope lacks or has invalid: ${missing.join(', ')}`);
  return {
    id: id as string,
    type: type as string,
    streamId: streamId as string,
    revision: revision as number,
    position: parsePosition(position),
    data: data as Record<string, unknown>,
    metadata: metadata as RecordedEvent['metadata'],
    recordedAt: new Date(typeof recordedAt === 'string' ? recordedAt : 0),
  };
};

const openPersonalData = async (personalData: PersonalDataCodec, event: RecordedEvent): Promise<RecordedEvent> => {
  try {
    return (await personalData.open([event]))[0];
  } catch (error) {
    if (isConnectionError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    throw new PoisonMessageError(typeof code === 'string' ? code : 'personal_data_unreadable', errorMessage(error));
  }
};

/**
 * Decoder of relayed events: the envelope from the value (or the event itself in standalone mode),
 * checked against the catalogue when one is given (valid payload, known schema version, then upcast).
 * Types the catalogue does not know pass as they are: a consumer may handle events of other services.
 */
export function envelopeDecoder(catalogue?: EventCatalogue): (message: IncomingMessage) => DecodedMessage<RecordedEvent>;
export function envelopeDecoder(catalogue: EventCatalogue | undefined, personalData: PersonalDataCodec | undefined): MessageDecoder<RecordedEvent>;
export function envelopeDecoder(catalogue?: EventCatalogue, personalData?: PersonalDataCodec): MessageDecoder<RecordedEvent> {
  const envelopeOf = (message: IncomingMessage): RecordedEvent => {
    const stored = message.event ?? eventFromEnvelopeJson(parseJson(message.value));
    if (message.headers[EventHeaders.id] !== undefined && message.headers[EventHeaders.id] !== stored.id) {
      throw new PoisonMessageError('malformed_message', `header ${EventHeaders.id} does not match the envelope id`);
    }
    return stored;
  };
  const checked = (raw: RecordedEvent, sealed = false): DecodedMessage<RecordedEvent> => {
    if (!catalogue?.has(raw.type)) return { key: raw.id, type: raw.type, payload: raw };
    try {
      const event = catalogue.upcast(raw);
      catalogue.validate(event.type, event.data, sealed ? { ignoreFields: catalogue.personalFields(event.type) } : {});
      return { key: raw.id, type: raw.type, payload: event };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new PoisonMessageError(typeof code === 'string' ? code : 'invalid_event', error instanceof Error ? error.message : String(error));
    }
  };
  if (!personalData) return (message) => checked(envelopeOf(message));
  // Events travel as stored, personal fields sealed; the key lookup may fail on a lost
  // connection, which the processor retries instead of dead-lettering.
  return async (message) => {
    const stored = envelopeOf(message);
    return checked(await openPersonalData(personalData, stored), personalData.isSealed(stored));
  };
}

