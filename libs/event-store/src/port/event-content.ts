import { findUnstorableJson, PROTO_KEY, unstorableStringReason, ValidationError, type ContentViolation, type NewEvent } from '@clientela/contracts';

// The rule of what text PostgreSQL can store lives in contracts, where ingest and the HTTP layer check it too.
export { findUnstorableJson, unstorableStringReason, type ContentViolation };

/**
 * Limits on the shape of what an event carries, checked before the catalogue sees it (class-
 * transformer recurses, so a deep payload would overflow the stack there). The size of the data
 * is the business of the maximum event size; metadata has its own, smaller, bound here.
 */
export interface EventContentLimits {
  /** Deepest nesting of objects and arrays in data and in metadata. Default 64. */
  maxDepth: number;
  /** Largest metadata, in bytes of its JSON (UTF-8). Default 16 KiB. */
  maxMetadataBytes: number;
  /**
   * Largest event: data + metadata as stored JSON, in bytes. Default 900 KiB: the relay publishes each
   * event as one Kafka message, and a broker with default settings takes at most 1 MiB per message
   * (message.max.bytes); the rest is room for the envelope's own fields, the headers and the record
   * overhead. An event the bus cannot carry is refused here, where the writer can still be told.
   */
  maxEventBytes: number;
}

export const DEFAULT_MAX_EVENT_BYTES = 900 * 1024;
export const DEFAULT_EVENT_CONTENT_LIMITS: EventContentLimits = { maxDepth: 64, maxMetadataBytes: 16 * 1024, maxEventBytes: DEFAULT_MAX_EVENT_BYTES };

/** An event's data or metadata cannot be stored as it is (see EventContentLimits and assertStorableJson). */
export class InvalidEventContentError extends ValidationError {
  override readonly code = 'invalid_event_content';
  constructor(
    readonly eventIndex: number,
    violation: ContentViolation,
  ) {
    super(`event ${eventIndex}: ${violation.path} ${violation.message}`, [
      { path: violation.path, constraints: { [violation.rule]: violation.message } },
    ]);
  }
  override details(): Record<string, unknown> {
    return { ...super.details(), eventIndex: this.eventIndex };
  }
}

// JSON.stringify writes U+0000 and lone surrogates as \u escapes, so JSON text without such an escape
// holds neither (a literal backslash-u in a string is a false alarm, which only costs the full walk).
const MAY_HOLD_UNSTORABLE = /\\u(?:0000|d[89a-f])/;

/**
 * Whether JSON.stringify writes `value` as it is: strings, finite numbers, booleans, null, plain
 * arrays and objects no deeper than `maxDepth` (so no cycles), no toJSON, and keys left out
 * (undefined values) storable, no own `__proto__` key. Anything else may be refused: findUnstorableJson decides.
 */
const isPlainJson = (value: unknown, depth: number, maxDepth: number): boolean => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= maxDepth) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1, maxDepth)) return false;
    return true;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if ((prototype !== Object.prototype && prototype !== null) || (value as { toJSON?: unknown }).toJSON !== undefined) return false;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key === PROTO_KEY) return false;
    const item = record[key];
    // A key whose value JSON leaves out is not in the text, where its characters are checked.
    if (item === undefined ? unstorableStringReason(key) !== undefined : !isPlainJson(item, depth + 1, maxDepth)) return false;
  }
  return true;
};

/** An event's data and metadata as JSON text (undefined where there is none). */
export interface EventJson {
  data: string | undefined;
  metadata: string | undefined;
}

/**
 * Refuses an event whose data or metadata cannot be stored as it is, naming the field
 * (`data.a.b`, `metadata.correlationId`): metadata is held to the rules of data, plus its size.
 * Returns both as JSON text, serialised once here for the size check and the adapter's write.
 */
export const storableEventJson = (event: NewEvent, index: number, limits: EventContentLimits = DEFAULT_EVENT_CONTENT_LIMITS): EventJson => {
  const metadata: unknown = event.metadata;
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    throw new InvalidEventContentError(index, { path: 'metadata', rule: 'isObject', message: 'must be a JSON object' });
  }
  // Most events are plain JSON: one cheap walk, then the serialised text is checked with one regex.
  const plain = isPlainJson(event.data, 0, limits.maxDepth) && (metadata === undefined || isPlainJson(metadata, 0, limits.maxDepth));
  let json: EventJson | undefined;
  if (plain) {
    json = { data: JSON.stringify(event.data), metadata: metadata === undefined ? undefined : JSON.stringify(metadata) };
  }
  if (!json || MAY_HOLD_UNSTORABLE.test(json.data ?? '') || MAY_HOLD_UNSTORABLE.test(json.metadata ?? '')) {
    const violation = findUnstorableJson(event.data, 'data', limits.maxDepth) ?? findUnstorableJson(metadata, 'metadata', limits.maxDepth);
    if (violation) throw new InvalidEventContentError(index, violation);
    json ??= { data: JSON.stringify(event.data) as string | undefined, metadata: metadata === undefined ? undefined : JSON.stringify(metadata) };
  }
  if (json.metadata === undefined) return json;
  const bytes = Buffer.byteLength(json.metadata, 'utf8');
  if (bytes > limits.maxMetadataBytes) {
    throw new InvalidEventContentError(index, {
      path: 'metadata',
      rule: 'maxSize',
      message: `is ${bytes} bytes of JSON, more than the ${limits.maxMetadataBytes} allowed`,
    });
  }
  return json;
};

/** Checks EventContentLimits given as options: positive integers, defaults for what is left out. */
export const eventContentLimits = (given: Partial<EventContentLimits> = {}): EventContentLimits => {
  const limits = { ...DEFAULT_EVENT_CONTENT_LIMITS, ...given };
  for (const key of ['maxDepth', 'maxMetadataBytes', 'maxEventBytes'] as const) {
    if (!Number.isSafeInteger(limits[key]) || limits[key] < 1) {
      throw new TypeError(`${key} must be a positive integer, got ${String(limits[key])}`);
    }
  }
  return limits;
};
