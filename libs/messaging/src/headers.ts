import { formatPosition, type RecordedEvent } from '@clientela/contracts';
import type { IHeaders } from 'kafkajs';

/** Kafka headers of an event, so consumers can route and dedupe without parsing the value. */
export const EventHeaders = {
  id: 'clientela-id',
  type: 'clientela-type',
  schemaVersion: 'clientela-schema-version',
  streamId: 'clientela-stream-id',
  revision: 'clientela-revision',
  position: 'clientela-position',
  correlationId: 'clientela-correlation-id',
  causationId: 'clientela-causation-id',
} as const;

/** Headers a dead letter carries beside the original ones. */
export const DeadLetterHeaders = {
  reason: 'clientela-dlq-reason',
  code: 'clientela-dlq-code',
  consumer: 'clientela-dlq-consumer',
  attempts: 'clientela-dlq-attempts',
  failedAt: 'clientela-dlq-failed-at',
  topic: 'clientela-dlq-original-topic',
  partition: 'clientela-dlq-original-partition',
  offset: 'clientela-dlq-original-offset',
  /** On a message put back on its topic: the dead letter it came from. */
  redrivenFrom: 'clientela-redriven-from',
  /** On a marker in the DLQ, written after a re-drive: the dead letter that was re-driven. */
  redriven: 'clientela-dlq-redriven',
} as const;

export const eventHeaders = (event: RecordedEvent): Record<string, string> => {
  const headers: Record<string, string> = {
    [EventHeaders.id]: event.id,
    [EventHeaders.type]: event.type,
    [EventHeaders.schemaVersion]: String(event.metadata.schemaVersion),
    [EventHeaders.streamId]: event.streamId,
    [EventHeaders.revision]: String(event.revision),
    [EventHeaders.position]: formatPosition(event.position),
  };
  if (event.metadata.correlationId) headers[EventHeaders.correlationId] = event.metadata.correlationId;
  if (event.metadata.causationId) headers[EventHeaders.causationId] = event.metadata.causationId;
  return headers;
};

/** kafkajs headers (Buffers, strings or arrays of them) as plain strings; repeated headers keep the last. */
export const decodeHeaders = (headers: IHeaders | undefined): Record<string, string> => {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    decoded[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return decoded;
};
