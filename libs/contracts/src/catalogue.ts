import 'reflect-metadata';
import type { EventMetadata, NewEvent, RecordedEvent } from './envelope';
import { ValidationError, type FieldViolation } from './errors';
import { personalFieldsOf } from './personal-data';
import { payloadViolations } from './validation/payload-validation';

export type EventData = Record<string, unknown>;
export type PayloadClass<T extends object = object> = new () => T;

/** Turns the payload of `fromVersion` into the payload of `fromVersion + 1`. Pure. */
export interface Upcaster {
  readonly fromVersion: number;
  upcast(data: EventData, metadata: EventMetadata): EventData;
}

export interface EventDefinition<TType extends string = string, TPayload extends object = object> {
  readonly type: TType;
  /** The current version; events are written with it and older ones are upcast to it on read. */
  readonly schemaVersion: number;
  readonly payload: PayloadClass<TPayload>;
  readonly upcasters: readonly Upcaster[];
  readonly personalFields: readonly string[];
}

/** The new-event shape of a definition: `NewEventOf<typeof OrderPlaced>`. */
export type NewEventOf<D> = D extends EventDefinition<infer T, infer P> ? NewEvent<T, P> : never;
/** The recorded-event shape of a definition: `RecordedEventOf<typeof OrderPlaced>`. */
export type RecordedEventOf<D> = D extends EventDefinition<infer T, infer P> ? RecordedEvent<T, P> : never;

const EVENT_TYPE = /^[A-Z][A-Za-z0-9]*$/;

export const defineEvent = <TType extends string, TPayload extends object>(definition: {
  type: TType;
  payload: PayloadClass<TPayload>;
  schemaVersion?: number;
  upcasters?: readonly Upcaster[];
}): EventDefinition<TType, TPayload> => {
  const schemaVersion = definition.schemaVersion ?? 1;
  if (!EVENT_TYPE.test(definition.type)) {
    throw new TypeError(`event type "${definition.type}" must be PascalCase (past tense, e.g. ContactRegistered)`);
  }
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
    throw new TypeError(`${definition.type}: schemaVersion must be an integer >= 1`);
  }
  const upcasters = [...(definition.upcasters ?? [])].sort((a, b) => a.fromVersion - b.fromVersion);
  for (let version = 1; version < schemaVersion; version++) {
    if (upcasters[version - 1]?.fromVersion !== version) {
      throw new TypeError(`${definition.type}: schema version ${schemaVersion} needs an upcaster from version ${version}`);
    }
  }
  if (upcasters.length > schemaVersion - 1) {
    throw new TypeError(`${definition.type}: an upcaster starts at or above the current version ${schemaVersion}`);
  }
  return {
    type: definition.type,
    schemaVersion,
    payload: definition.payload,
    upcasters,
    personalFields: personalFieldsOf(definition.payload),
  };
};

export class UnknownEventTypeError extends ValidationError {
  override readonly code = 'unknown_event_type';
  constructor(readonly eventType: string) {
    super(`unknown event type "${eventType}": it is not in the event catalogue`, [
      { path: 'type', constraints: { known: 'must be a type registered in the event catalogue' } },
    ]);
  }
}

export class EventValidationError extends ValidationError {
  override readonly code = 'invalid_event_payload';
  constructor(
    readonly eventType: string,
    violations: FieldViolation[],
  ) {
    super(
      `invalid ${eventType} payload: ${violations
        .map((v) => `${v.path} ${Object.values(v.constraints).join(', ')}`)
        .join('; ')}`,
      violations,
    );
  }
}

export class UnknownSchemaVersionError extends ValidationError {
  override readonly code = 'unknown_schema_version';
  constructor(
    readonly eventType: string,
    readonly schemaVersion: unknown,
    readonly currentVersion: number,
  ) {
    super(`${eventType} has schema version ${String(schemaVersion)}, but this catalogue knows versions 1..${currentVersion}`);
  }
}

const isPlainObject = (value: unknown): value is EventData =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The registry of event types a process knows. The event store validates every append
 * against it and upcasts what it reads, so nothing unknown or malformed is ever written.
 */
export class EventCatalogue {
  private readonly definitions = new Map<string, EventDefinition>();

  constructor(definitions: Iterable<EventDefinition> = []) {
    for (const definition of definitions) this.register(definition);
  }

  static combine(...catalogues: EventCatalogue[]): EventCatalogue {
    return new EventCatalogue(catalogues.flatMap((c) => [...c.definitions.values()]));
  }

  register(definition: EventDefinition): this {
    const existing = this.definitions.get(definition.type);
    if (existing && existing !== definition) throw new TypeError(`event type "${definition.type}" is registered twice`);
    this.definitions.set(definition.type, definition);
    return this;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  get(type: string): EventDefinition {
    const definition = this.definitions.get(type);
    if (!definition) throw new UnknownEventTypeError(type);
    return definition;
  }

  types(): string[] {
    return [...this.definitions.keys()].sort();
  }

  personalFields(type: string): readonly string[] {
    return this.get(type).personalFields;
  }

  /**
   * Checks a payload against the current version of its type; throws a typed error with every violation.
   * `ignoreFields` are not checked (personal fields read back from sealed data: checked when they were
   * written, authenticated since, or erased).
   */
  validate(type: string, data: unknown, options: { ignoreFields?: readonly string[] } = {}): EventData {
    const definition = this.get(type);
    if (!isPlainObject(data)) {
      throw new EventValidationError(type, [{ path: '', constraints: { isObject: 'payload must be a JSON object' } }]);
    }
    const ignoredFields = options.ignoreFields?.length ? new Set(options.ignoreFields) : undefined;
    const violations = payloadViolations(definition.payload, data, { ignoredFields });
    if (violations.length > 0) throw new EventValidationError(type, violations);
    return data;
  }

  /** Validates a new event and stamps its schema version; returns what the store writes. */
  prepare<T extends NewEvent<string, object>>(event: T): T & { metadata: Partial<EventMetadata> & { schemaVersion: number } } {
    const definition = this.get(event.type);
    this.validate(event.type, event.data);
    return { ...event, metadata: { ...event.metadata, schemaVersion: definition.schemaVersion } };
  }

  /** Brings an older payload up to the current version. Unknown types pass through unchanged. */
  upcast<E extends RecordedEvent<string, EventData>>(event: E): E {
    const definition = this.definitions.get(event.type);
    if (!definition) return event;
    const version = event.metadata.schemaVersion;
    if (!Number.isInteger(version) || version < 1 || version > definition.schemaVersion) {
      throw new UnknownSchemaVersionError(event.type, version, definition.schemaVersion);
    }
    if (version === definition.schemaVersion) return event;
    let data = event.data;
    for (const upcaster of definition.upcasters.slice(version - 1)) data = upcaster.upcast(data, event.metadata);
    return { ...event, data, metadata: { ...event.metadata, schemaVersion: definition.schemaVersion } };
  }
}
