import type { PoolClient } from 'pg';
import type { IncomingMessage, MessageOrigin } from '../message';

/** A message a consumer gave up on, with why. */
export interface DeadLetter {
  consumer: string;
  /** Stable code: malformed_message, invalid_event_payload, unknown_schema_version, handler_failed, ... */
  code: string;
  reason: string;
  attempts: number;
  failedAt: Date;
  /** The dedupe key when the message could be decoded (event id, or source:id for ingest). */
  eventKey?: string;
  eventType?: string;
  message: IncomingMessage;
}

/** Where a consumer puts dead letters: `<topic>.dlq` in Kafka, or the dead_letters table in standalone mode. */
export interface DeadLetterSink {
  write(letter: DeadLetter, tx?: PoolClient): Promise<void>;
}

/** A dead letter as listed for people and tools. */
export interface StoredDeadLetter {
  /** `<dlq topic>:<partition>:<offset>` in Kafka, the row id in the table. */
  id: string;
  consumer: string;
  code: string;
  reason: string;
  attempts: number;
  failedAt: string;
  eventKey?: string;
  eventType?: string;
  origin: MessageOrigin;
  key?: string;
  headers: Record<string, string>;
  value: string;
  redriveRequested?: boolean;
  /** Kafka: the letter was put back on its topic already; a re-drive of all letters passes over it. */
  redriven?: boolean;
}

/** A key for messages that could not be decoded, so that a redelivery is not dead-lettered twice. */
export const originKey = (origin: MessageOrigin): string =>
  origin.kind === 'kafka' ? `kafka:${origin.topic}:${origin.partition}:${origin.offset}` : `store:${origin.position}`;
