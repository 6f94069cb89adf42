import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsObject, IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import { ValidationError, type FieldViolation } from '../errors';
import { PersonalData } from '../personal-data';
import { payloadViolations } from '../validation/payload-validation';
import { unstorableFieldViolation } from '../validation/storable-text';
import { IngestEventTypes, IngestPayloads, type IngestEventType, type IngestPayloadOf } from './ingest-payloads';

/** Who the event is about, as the sending system knows them; the contacts service resolves it to a contact. */
export class IngestCustomer {
  @IsOptional() @IsString() @Length(1, 200) @PersonalData() externalId?: string;
  @IsOptional() @IsString() @MaxLength(320) @PersonalData() email?: string;
  @IsOptional() @IsString() @MaxLength(50) @PersonalData() phone?: string;
}

/** The envelope external services publish to `clientela.ingest.v1`. */
export class IngestEnvelope {
  /** Unique within its source: (source, id) is the dedupe key. */
  @IsString() @Length(1, 200) id!: string;
  @IsIn(IngestEventTypes) type!: IngestEventType;
  @IsISO8601({ strict: true }) occurredAt!: string;
  /** The sending system, e.g. `shop`, `mailer`, `telephony`. */
  @IsString() @Length(1, 100) source!: string;
  @ValidateNested() @Type(() => IngestCustomer) @IsObject() customer!: IngestCustomer;
  @IsObject() data!: Record<string, unknown>;
}

/** A valid ingest message; `data` is typed by `type`. */
export type IngestMessage = {
  [T in IngestEventType]: { id: string; type: T; occurredAt: string; source: string; customer: IngestCustomer; data: IngestPayloadOf<T> };
}[IngestEventType];

export class InvalidIngestMessageError extends ValidationError {
  override readonly code = 'invalid_ingest_message';
}

const refuse = (violations: FieldViolation[]): never => {
  const summary = violations.map((v) => `${v.path || '(message)'}: ${Object.values(v.constraints).join(', ')}`).join('; ');
  throw new InvalidIngestMessageError(`invalid ingest message: ${summary}`, violations);
};

/** Deepest nesting of objects and arrays in a message: within the event store's own limit (64) for the event it becomes. */
const MAX_MESSAGE_DEPTH = 32;

/** The dedupe key of an ingest message: the same (source, id) twice is one event. */
export const ingestKey = (message: { source: string; id: string }): string => `${message.source}:${message.id}`;

/**
 * Checks a parsed message against the ingest contract: envelope, a customer with at least one
 * identifier, and the payload of its type. Throws InvalidIngestMessageError listing every violation.
 */
export const parseIngestMessage = (json: unknown): IngestMessage => {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return refuse([{ path: '', constraints: { isObject: 'an ingest message must be a JSON object' } }]);
  }
  // Text PostgreSQL cannot store (U+0000, a lone surrogate) anywhere in the message, or nesting the
  // checks below would recurse through: this message is refused, not the batch it came in.
  const unstorable = unstorableFieldViolation(json, MAX_MESSAGE_DEPTH);
  if (unstorable) refuse([unstorable]);
  // The envelope's fields as the message has them (plainToInstance would copy them unchanged).
  const envelope = json as Partial<Record<keyof IngestEnvelope, unknown>>;
  const violations = payloadViolations(IngestEnvelope, json);
  if (violations.length === 0) {
    const { externalId, email, phone } = envelope.customer as IngestCustomer;
    if (!externalId && !email && !phone) {
      violations.push({ path: 'customer', constraints: { identified: 'customer needs at least one of externalId, email, phone' } });
    }
  }
  const type = envelope.type;
  // Only a string names a type: Object.hasOwn turns a key into a string, and `{"toString": []}` threw there (a 500 for the batch).
  const payloadClass: (new () => object) | undefined = typeof type === 'string' && Object.hasOwn(IngestPayloads, type) ? IngestPayloads[type as IngestEventType] : undefined;
  const data = envelope.data;
  if (payloadClass && typeof data === 'object' && data !== null && !Array.isArray(data)) {
    violations.push(...payloadViolations(payloadClass, data, { prefix: 'data' }));
  }
  if (violations.length > 0) refuse(violations);
  return json as IngestMessage;
};
