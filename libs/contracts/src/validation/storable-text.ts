/**
 * What PostgreSQL can store as text and jsonb: no U+0000, no UTF-16 surrogate without its pair (no
 * UTF-8 encoding exists for it). The one rule the event store, ingest, the CSV import and every
 * HTTP query, path and body value are held to, so that such a value is refused where it comes in,
 * with its place named, instead of failing a statement later (a 500, or a whole batch refused).
 */
import type { FieldViolation } from '../errors';

/** What JSON or the store cannot hold, found in one place of a value (an event's data or metadata, a request). */
export interface ContentViolation {
  /** Dotted path from `data` or `metadata`, e.g. `metadata.correlationId`. */
  path: string;
  rule: string;
  message: string;
}

// U+0000 (PostgreSQL's text and jsonb refuse it) or a UTF-16 surrogate without its pair (no
// UTF-8 encoding exists for it).
// eslint-disable-next-line no-control-regex -- U+0000 is what it looks for
const UNSTORABLE_CHARACTER = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const UNSTORABLE_CHARACTERS = new RegExp(UNSTORABLE_CHARACTER.source, 'g');

/** Why a string cannot be stored, or undefined. */
export const unstorableStringReason = (text: string): string | undefined => {
  const match = UNSTORABLE_CHARACTER.exec(text);
  if (!match) return undefined;
  return match[0] === '\u0000' ? 'contains U+0000' : 'contains a lone UTF-16 surrogate';
};

/** The key refused everywhere a value comes in (the HTTP bodies' parser refuses it too). */
export const PROTO_KEY = '__proto__';
const PROTO_KEY_MESSAGE = 'is a key named __proto__, which is refused (copying the value would set an object\'s prototype)';

type Frame = { value: unknown; path: string; depth: number; key: string } | { leave: object };

/**
 * The first place in `root` that JSON or PostgreSQL cannot hold: a string or key with U+0000 or
 * a lone surrogate, a BigInt, symbol or function, a number that is not finite, a cycle, or
 * nesting deeper than `maxDepth`; or that nothing should hold: an own key `__proto__` (JSON.parse
 * makes one, and whatever copies the value with assignment sets a prototype from it, while
 * class-transformer drops it before class-validator looks). Walks without recursion, as
 * JSON.stringify sees the value (toJSON applied), in document order.
 */
export const findUnstorableJson = (root: unknown, rootPath: string, maxDepth: number): ContentViolation | undefined => {
  const stack: Frame[] = [{ value: root, path: rootPath, depth: 0, key: '' }];
  const onPath = new Set<object>();
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if ('leave' in frame) {
      onPath.delete(frame.leave);
      continue;
    }
    const { path, depth } = frame;
    let value = frame.value;
    if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      value = (value as { toJSON: (key: string) => unknown }).toJSON(frame.key);
    }
    switch (typeof value) {
      case 'string': {
        const reason = unstorableStringReason(value);
        if (reason) return { path, rule: 'storableText', message: reason };
        continue;
      }
      case 'number':
        if (!Number.isFinite(value)) return { path, rule: 'isJson', message: `is ${value}, which JSON cannot hold` };
        continue;
      case 'bigint':
      case 'symbol':
      case 'function':
        return { path, rule: 'isJson', message: `is a ${typeof value}, which JSON cannot hold` };
      case 'object':
        break;
      default: // boolean; undefined, which JSON leaves out
        continue;
    }
    if (value === null) continue;
    if (onPath.has(value)) return { path, rule: 'notCircular', message: 'refers back to an object that contains it' };
    if (depth >= maxDepth) return { path, rule: 'maxDepth', message: `nests deeper than ${maxDepth} levels` };
    onPath.add(value);
    stack.push({ leave: value });
    const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      if (key === PROTO_KEY) return { path: `${path}.${key}`, rule: 'noProtoKey', message: PROTO_KEY_MESSAGE };
      const reason = unstorableStringReason(key);
      // The path names a bad key with U+FFFD in place of what cannot be stored: it goes into errors, logs and dead letters.
      if (reason) return { path: `${path}.${key.replace(UNSTORABLE_CHARACTERS, '\ufffd')}`, rule: 'storableText', message: `has a key that ${reason}` };
      const childPath = `${path}.${key}`;
      stack.push({ value: (value as Record<string, unknown>)[key], path: childPath, depth: depth + 1, key });
    }
  }
  return undefined;
};

/**
 * findUnstorableJson for a value parsed from JSON or a query string, as a field violation whose
 * path is relative to the value (`customer.email`; '' for the value itself). What JSON itself cannot
 * hold (NaN, a BigInt) never comes from parsing, and the caller's own checks name it: not reported.
 */
export const unstorableFieldViolation = (value: unknown, maxDepth: number): FieldViolation | undefined => {
  const found = findUnstorableJson(value, '$', maxDepth);
  if (!found || found.rule === 'isJson') return undefined;
  return { path: found.path.slice(2), constraints: { [found.rule]: found.message } };
};
