import { createCipheriv, createDecipheriv, hash, type KeyObject } from 'node:crypto';

/** The data field that holds an event's personal fields, sealed. */
export const SEALED_FIELD = '$personal';
/** What a personal text reads as once its person's key is destroyed. Lists read as [], objects as {}, numbers and booleans as null. */
export const ERASED_TEXT = '[erased]';

/** The JSON kind of each sealed field, kept in clear so an erased field keeps its shape. */
type FieldKind = 's' | 'n' | 'b' | 'a' | 'o';
const KINDS: ReadonlySet<string> = new Set(['s', 'n', 'b', 'a', 'o']);

/**
 * An event's sealed personal fields, as read from any stored form:
 * - v3 (written since 7 December 2026), one string: `3|<field>:<kind>,...|<base64 of IV | ciphertext | tag>`,
 *   then `|<subject>` only where the subject is not the one subjectOf finds in the event; the
 *   plaintext is the JSON array of the values in field order; the associated data the event's
 *   type, the subject and the field list (not the event's id: one person's same values in events
 *   of one type seal to the same bytes, so they are sealed once, see PersonalDataProtection);
 * - v2, the same string with `2|`, the associated data the event's id, type and subject;
 * - v1, an object `{ v: 1, s: <subject>, f: { <field>: <kind> }, c: <base64> }`, the plaintext a JSON object.
 * v2 and v3 are about half v1's size (no subject, no nested object, no field names in the
 * plaintext): the server's jsonb output and the client's parse of every read carry it.
 */
export interface SealedPersonalData {
  readonly version: 1 | 2 | 3;
  /** The person (data key) they are sealed under. */
  readonly subject: string;
  readonly fields: readonly string[];
  /** The field list as stored (`<field>:<kind>,...`): v3 authenticates it; '' in v1. */
  readonly fieldList: string;
  readonly kinds: readonly FieldKind[];
  /** base64 of IV (12 bytes) | ciphertext | tag (16 bytes). */
  readonly ciphertext: string;
}

/**
 * A sealed field as read. While its event's fields wait to be read on access, it is also what
 * decrypting them needs (openPersonalFieldsOnAccess keeps it on the opened object): one object an
 * event read, where a parsed part and a state beside it were two.
 */
class SealedPart implements SealedPersonalData {
  event: EventIdentity | undefined = undefined;
  key: DataKey | undefined = undefined;
  unreadable: UnreadableError | undefined = undefined;
  /** The decrypted fields, once read. */
  values: Record<string, unknown> | undefined = undefined;

  constructor(
    readonly version: 1 | 2 | 3,
    readonly subject: string,
    readonly fields: readonly string[],
    readonly fieldList: string,
    readonly kinds: readonly FieldKind[],
    readonly ciphertext: string,
  ) {}
}

/**
 * Whose personal data an event holds: `customerId` (every event that concerns a customer carries
 * it), else `contactId`, else its stream (a lead before it converts, an account).
 */
export const subjectOf = (streamId: string, data: Record<string, unknown>): string =>
  typeof data.customerId === 'string' && data.customerId !== ''
    ? data.customerId
    : typeof data.contactId === 'string' && data.contactId !== ''
      ? data.contactId
      : streamId;

/** A person's data key, ready to use. */
export interface DataKey {
  readonly encryption: KeyObject;
  /**
   * 32 secret bytes that key each event's IV, derived from what it seals, so sealing the same event
   * twice gives the same bytes (idempotent appends compare them).
   */
  readonly ivKey: Buffer;
}

/** The event a payload belongs to: its type is bound to the ciphertext (its id too in v1 and v2), so sealed data cannot be moved to an event of another type or person. */
export interface EventIdentity {
  id: string;
  type: string;
}

/** An event being sealed: its stream tells whether the subject can be left out (found again by subjectOf). */
export interface SealingEvent extends EventIdentity {
  streamId: string;
}

/** Why sealed data did not open; the caller names the event. */
export class SealedDataError extends Error {}

const IV_BYTES = 12;
const TAG_BYTES = 16;

const kindOf = (value: unknown): FieldKind =>
  typeof value === 'string' ? 's' : typeof value === 'number' ? 'n' : typeof value === 'boolean' ? 'b' : Array.isArray(value) ? 'a' : 'o';

const erasedValue = (kind: FieldKind): unknown => (kind === 's' ? ERASED_TEXT : kind === 'a' ? [] : kind === 'o' ? {} : null);

const associatedData = (event: EventIdentity, sealed: SealedPersonalData): Buffer =>
  Buffer.from(sealed.version === 3 ? `${event.type}\n${sealed.subject}\n${sealed.fieldList}` : `${event.id}\n${event.type}\n${sealed.subject}`, 'utf8');

export const isSealed = (data: Record<string, unknown>): boolean => Object.prototype.hasOwnProperty.call(data, SEALED_FIELD);

/** Field names go into the v2 string between these separators. */
const SEPARATORS = /[|,:]/;

/** What sealing an event moves into its sealed field: the personal fields that hold a value, their kinds, and the plaintext. */
export interface SealPlan {
  readonly names: readonly string[];
  /** Each value's JSON text, in field order. */
  readonly texts: readonly string[];
  /** `<field>:<kind>,...`, the v2 string's field list. */
  readonly fieldList: string;
  /** The JSON array of the values in field order (JSON.stringify of them as an array). */
  readonly plaintext: string;
}

/** The personal fields present in `data` (null and absent ones stay as they are: a cleared field says nothing about the person); undefined when none is. */
export const planSeal = (data: Record<string, unknown>, personalFields: readonly string[]): SealPlan | undefined => {
  const texts: string[] = [];
  const names: string[] = [];
  let fieldList = '';
  for (const field of personalFields) {
    const value = data[field];
    if (value === undefined || value === null) continue;
    if (SEPARATORS.test(field)) throw new SealedDataError(`personal field "${field}" has a name the sealed form cannot hold (| , :)`);
    fieldList += `${texts.length === 0 ? '' : ','}${field}:${kindOf(value)}`;
    // What JSON.stringify writes for the value inside an array (null for what JSON cannot hold).
    texts.push((JSON.stringify(value) as string | undefined) ?? 'null');
    names.push(field);
  }
  return texts.length === 0 ? undefined : { names, texts, fieldList, plaintext: `[${texts.join(',')}]` };
};

/** What one event's sealed field seals (v3): the event's type, the subject, the plan's field list and plaintext. */
export interface SealInput {
  type: string;
  subject: string;
  fieldList: string;
  plaintext: string;
}

/** The most bytes writeSealInput can take for this input (UTF-8: at most 3 bytes a UTF-16 unit). */
export const sealInputBound = (ivKey: Buffer, input: SealInput): number =>
  2 + ivKey.length + 4 + 3 * (input.type.length + input.subject.length + input.fieldList.length + input.plaintext.length) + 2;

/**
 * Writes what sealing an event hashes and encrypts into `into` at `at` (room: sealInputBound):
 * length of the IV key (u16) | IV key | length of the associated data (u32) | the associated data
 * (type \n subject \n field list) | plaintext. The lengths keep every split apart. Returns where it ends.
 */
export const writeSealInput = (into: Buffer, at: number, ivKey: Buffer, input: SealInput): number => {
  into.writeUInt16BE(ivKey.length, at);
  const aadAt = at + 2 + ivKey.copy(into, at + 2) + 4;
  let end = aadAt + into.write(input.type, aadAt, 'utf8');
  into[end++] = 0x0a;
  end += into.write(input.subject, end, 'utf8');
  into[end++] = 0x0a;
  end += into.write(input.fieldList, end, 'utf8');
  into.writeUInt32BE(end - aadAt, aadAt - 4);
  return end + into.write(input.plaintext, end, 'utf8');
};

/**
 * IV | ciphertext | tag of one input written by writeSealInput (`input`: exactly its bytes), under
 * `key` (the data key, as a KeyObject or its 32 bytes): what both the inline sealing and the sealing
 * worker run, so that both give the same bytes. The IV is SHA-256 of IV key | associated data |
 * plaintext, cut to 96 bits: a keyed hash (the IV key is secret, so the IV says nothing about the
 * plaintext but equality of whole inputs; cut short, so not open to length extension), in one call
 * where an HMAC object cost twice as much. Deterministic for the same input (idempotent re-appends
 * compare the stored bytes; one person's same values in events of one type are sealed once),
 * different for anything else.
 */
export const sealInput = (input: Buffer, key: KeyObject | Buffer): Buffer => {
  const ivKeyEnd = 2 + input.readUInt16BE(0);
  const aadAt = ivKeyEnd + 4;
  const plaintextAt = aadAt + input.readUInt32BE(ivKeyEnd);
  const iv = hash('sha256', input.subarray(2), 'buffer').subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(input.subarray(aadAt, plaintextAt));
  // One buffer for IV | ciphertext | tag: GCM's ciphertext is as long as the plaintext.
  const out = Buffer.allocUnsafe(IV_BYTES + (input.length - plaintextAt) + TAG_BYTES);
  iv.copy(out, 0);
  let written = IV_BYTES + cipher.update(input.subarray(plaintextAt)).copy(out, IV_BYTES);
  written += cipher.final().copy(out, written);
  cipher.getAuthTag().copy(out, written);
  return out;
};

/** The v3 string of the sealed field, from sealInput's bytes in base64; the subject only where subjectOf would not find it in `rest`. */
const sealedFieldText = (streamId: string, rest: Record<string, unknown>, plan: SealPlan, sealed: string, subject: string): string =>
  // The subject is left out where the reader finds it again in the event (nearly always: customerId or contactId stay in clear).
  `3|${plan.fieldList}|${sealed}${subjectOf(streamId, rest) === subject ? '' : `|${subject}`}`;

/** `data` with the planned fields moved into the sealed field (v3), from sealInput's bytes in base64. */
export const sealedData = (streamId: string, data: Record<string, unknown>, plan: SealPlan, sealed: string, subject: string): Record<string, unknown> => {
  const rest: Record<string, unknown> = {};
  for (const field in data) {
    if (Object.prototype.hasOwnProperty.call(data, field) && !plan.names.includes(field)) rest[field] = data[field];
  }
  rest[SEALED_FIELD] = sealedFieldText(streamId, rest, plan, sealed, subject);
  return rest;
};

/** `"<name>":` as JSON.stringify writes a key, per field name (a catalogue has few). */
const keyTexts = new Map<string, string>();
const keyText = (name: string): string => {
  let text = keyTexts.get(name);
  if (text === undefined) {
    text = `${JSON.stringify(name)}:`;
    if (keyTexts.size < 10_000) keyTexts.set(name, text);
  }
  return text;
};

/**
 * JSON.stringify(sealed) made from `dataJson`, JSON.stringify of the data it was sealed from,
 * without serialising the event again: each sealed field's key and value are cut out of the text
 * (JSON.stringify wrote them as `"key":<the plan's text of the value>`) and the sealed field goes
 * last, as sealedData puts it. Undefined where that cannot be told for sure (a key found more than
 * once, as in a nested object, or not as the plan wrote it): the caller serialises then.
 */
export const sealedDataJson = (dataJson: string, plan: SealPlan, sealed: Record<string, unknown>): string | undefined => {
  let text = dataJson;
  for (let i = 0; i < plan.names.length; i++) {
    const key = keyText(plan.names[i]);
    const at = text.indexOf(key);
    // Inside a string value every quote is escaped, so the key is found only as a key; once, so at the top.
    if (at < 1 || text.indexOf(key, at + 1) >= 0 || !text.startsWith(plan.texts[i], at + key.length)) return undefined;
    const end = at + key.length + plan.texts[i].length;
    const before = text[at - 1];
    const after = text[end];
    if (before === ',' && (after === ',' || after === '}')) text = text.slice(0, at - 1) + text.slice(end);
    else if (before === '{' && after === ',') text = text.slice(0, at) + text.slice(end + 1);
    else if (before === '{' && after === '}') text = text.slice(0, at) + text.slice(end);
    else return undefined;
  }
  const field = `${JSON.stringify(SEALED_FIELD)}:${JSON.stringify(sealed[SEALED_FIELD])}}`;
  return text === '{}' ? `{${field}` : `${text.slice(0, -1)},${field}`;
};

/**
 * Where sealInputNow writes an event's input before sealing it: one buffer for every event (sealing
 * inline is synchronous), grown when one needs more.
 */
let scratch = Buffer.allocUnsafe(16 * 1024);

/** The base64 of sealInput for one event, here and now (through the scratch buffer). */
export const sealInputNow = (input: SealInput, key: DataKey): string => {
  const most = sealInputBound(key.ivKey, input);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(Math.max(most, 2 * scratch.length));
  const end = writeSealInput(scratch, 0, key.ivKey, input);
  return sealInput(scratch.subarray(0, end), key.encryption).toString('base64');
};

/** Moves the personal fields present in `data` into one sealed field (v3), here and now (planSeal, sealInput, sealedData). */
export const sealPersonalFields = (
  event: SealingEvent,
  data: Record<string, unknown>,
  personalFields: readonly string[],
  subject: string,
  key: DataKey,
): Record<string, unknown> => {
  const plan = planSeal(data, personalFields);
  if (plan === undefined) return data;
  const sealed = sealInputNow({ type: event.type, subject, fieldList: plan.fieldList, plaintext: plan.plaintext }, key);
  return sealedData(event.streamId, data, plan, sealed, subject);
};

/** A v2 string's field list, parsed once per distinct list (events of a type mostly share one). */
const fieldLists = new Map<string, { fields: readonly string[]; kinds: readonly FieldKind[] }>();

const parseFieldList = (list: string): { fields: readonly string[]; kinds: readonly FieldKind[] } => {
  let parsed = fieldLists.get(list);
  if (parsed !== undefined) return parsed;
  const fields: string[] = [];
  const kinds: FieldKind[] = [];
  for (const entry of list.split(',')) {
    const colon = entry.indexOf(':');
    const kind = entry.slice(colon + 1);
    if (colon < 1 || !KINDS.has(kind)) throw new SealedDataError('the sealed field is malformed');
    fields.push(entry.slice(0, colon));
    kinds.push(kind as FieldKind);
  }
  parsed = { fields, kinds };
  // Bounded: a store holds few distinct lists, but a hostile one must not grow this without end.
  if (fieldLists.size < 10_000) fieldLists.set(list, parsed);
  return parsed;
};

let lastFieldList: { text: string; fields: readonly string[]; kinds: readonly FieldKind[] } | undefined;

/** The v2 or v3 string, parsed; the subject, where left out, is the one subjectOf finds in the event. */
const parseCompact = (text: string, streamId: string, data: Record<string, unknown>): SealedPersonalData => {
  const first = text.indexOf('|');
  const second = text.indexOf('|', first + 1);
  const version = first === 1 ? text.charCodeAt(0) - 48 : 0;
  if ((version !== 2 && version !== 3) || second < 0) {
    throw new SealedDataError(first > 0 ? `unknown sealing version ${text.slice(0, first)}` : 'the sealed field is malformed');
  }
  const third = text.indexOf('|', second + 1);
  const ciphertext = third < 0 ? text.slice(second + 1) : text.slice(second + 1, third);
  const subject = third < 0 ? subjectOf(streamId, data) : text.slice(third + 1);
  // Events come in runs of one type: the list the last one had, compared in place, costs no slice and no lookup.
  let list = lastFieldList;
  if (list === undefined || second - first - 1 !== list.text.length || !text.startsWith(list.text, first + 1)) {
    const listText = text.slice(first + 1, second);
    lastFieldList = list = { text: listText, ...parseFieldList(listText) };
  }
  return new SealedPart(version, subject, list.fields, list.text, list.kinds, ciphertext);
};

/** The sealed part of stored data, checked for shape; throws SealedDataError saying what is wrong. */
export const sealedPartOf = (data: Record<string, unknown>, streamId: string): SealedPersonalData | undefined => {
  const sealed = data[SEALED_FIELD];
  if (sealed === undefined) return undefined;
  if (typeof sealed === 'string') return parseCompact(sealed, streamId, data);
  if (typeof sealed !== 'object' || sealed === null) throw new SealedDataError('the sealed field is not an object');
  const { v, s, f, c } = sealed as { v?: unknown; s?: unknown; f?: unknown; c?: unknown };
  if (v !== 1) throw new SealedDataError(`unknown sealing version ${String(v)}`);
  if (typeof s !== 'string' || typeof c !== 'string' || typeof f !== 'object' || f === null) throw new SealedDataError('the sealed field is malformed');
  const fields = Object.keys(f);
  const kinds = fields.map((field) => (f as Record<string, unknown>)[field]);
  if (!kinds.every((kind) => typeof kind === 'string' && KINDS.has(kind))) throw new SealedDataError('the sealed field is malformed');
  return new SealedPart(1, s, fields, '', kinds as FieldKind[], c);
};

/** The person whose key an event as stored is sealed under (undefined: nothing sealed), without opening it. */
export const sealedSubjectOf = (event: { streamId: string; data: Record<string, unknown> }): string | undefined =>
  sealedPartOf(event.data, event.streamId)?.subject;

/** The personal fields sealed in `sealed`, decrypted and authenticated; throws SealedDataError on tampering. */
const decrypt = (event: EventIdentity, sealed: SealedPersonalData, key: DataKey): Record<string, unknown> => {
  const bytes = Buffer.from(sealed.ciphertext, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new SealedDataError('the ciphertext is too short');
  const decipher = createDecipheriv('aes-256-gcm', key.encryption, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(associatedData(event, sealed));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  let plaintext: string;
  try {
    plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedDataError('the ciphertext does not authenticate (tampered, or sealed under another key or for another event)');
  }
  const parsed: unknown = JSON.parse(plaintext);
  if (sealed.version === 1) return parsed as Record<string, unknown>;
  // v2 and v3: the values in field order (authenticated, so a length mismatch is a bug, not tampering).
  const values = parsed as unknown[];
  const fields: Record<string, unknown> = {};
  for (let i = 0; i < sealed.fields.length; i++) fields[sealed.fields[i]] = values[i];
  return fields;
};

/** The data without its sealed field, in the order openPersonalFields gives it. */
const withoutSealedField = (data: Record<string, unknown>): Record<string, unknown> => {
  const opened: Record<string, unknown> = {};
  // for-in over a plain parsed object: its own keys, from the enum cache, without an array of them.
  for (const field in data) if (field !== SEALED_FIELD) opened[field] = data[field];
  return opened;
};

const erase = (opened: Record<string, unknown>, sealed: SealedPersonalData): Record<string, unknown> => {
  for (let i = 0; i < sealed.fields.length; i++) opened[sealed.fields[i]] = erasedValue(sealed.kinds[i]);
  return opened;
};

/** The data without its sealed field, the personal fields back in it (or erased, with `key` undefined). Throws SealedDataError on tampering. */
export const openPersonalFields = (
  event: EventIdentity,
  data: Record<string, unknown>,
  sealed: SealedPersonalData,
  key: DataKey | undefined,
): Record<string, unknown> => {
  const opened = withoutSealedField(data);
  if (key === undefined) return erase(opened, sealed);
  const fields = decrypt(event, sealed, key);
  for (const field of sealed.fields) opened[field] = fields[field];
  return opened;
};

/** What the caller makes of sealed data that does not open: an error naming the event. */
export type UnreadableError = (error: SealedDataError, event: EventIdentity, subject: string) => Error;

/**
 * openPersonalFields, but the decryption waits for the first read of a personal field: a reader
 * that never reads one (a count, a revenue projection, a replay to another store) never pays for
 * it. The fields are enumerable accessors, so JSON.stringify, spreads and Object.keys see them
 * (and decrypt). On that first read the event's fields are decrypted and authenticated together,
 * then stay plain values; tampering throws what `unreadable` makes of the SealedDataError, there.
 * Erased fields are filled at once (no key, nothing to decrypt).
 */
export const openPersonalFieldsOnAccess = (
  event: EventIdentity,
  data: Record<string, unknown>,
  sealed: SealedPersonalData,
  key: DataKey | undefined,
  unreadable: UnreadableError,
): Record<string, unknown> => {
  const opened = withoutSealedField(data);
  if (key === undefined) return erase(opened, sealed);
  for (const field of sealed.fields) Object.defineProperty(opened, field, accessorOf(field));
  // The part sealedPartOf made keeps the state; a part from elsewhere, or one already in use, is copied.
  const state =
    sealed instanceof SealedPart && sealed.event === undefined ? sealed : new SealedPart(sealed.version, sealed.subject, sealed.fields, sealed.fieldList, sealed.kinds, sealed.ciphertext);
  state.event = event;
  state.key = key;
  state.unreadable = unreadable;
  Pending.attach(opened, state);
  return opened;
};

/** A constructor that answers its argument: a subclass's private fields are then put on that object. */
class Stamped {
  constructor(target: object) {
    // What lets Pending put private fields on an object made elsewhere.
    return target;
  }
}

/**
 * Puts a SealedPart (with its event, key and reader's error) in a private field of the (plain)
 * object itself: invisible to JSON, spreads, Object.keys and reflection, and about as cheap as a
 * plain property. A hidden symbol property set by defineProperty (before) turned each object into a
 * slow dictionary: 2.1 µs an event read and kept, against 0.5. One private field holding the state,
 * not one per item: each added field is a property added to the object (its own map transition, and
 * a property store grown past the object's slots).
 */
class Pending extends Stamped {
  #state: SealedPart;

  private constructor(target: object, state: SealedPart) {
    super(target);
    this.#state = state;
  }

  static attach(target: object, state: SealedPart): void {
    new Pending(target, state);
  }

  /** `reader`, or the object on its prototype chain that the store opened (a copy made with it as prototype). */
  static find(reader: object): Pending | undefined {
    for (let target: object | null = reader; target !== null; target = Object.getPrototypeOf(target) as object | null) {
      if (#state in target) return target as Pending;
    }
    return undefined;
  }

  /** The decrypted fields, decrypting them on the first call; the accessors then give way to plain values. */
  // Static: the object is a plain one (its prototype is not this class's), only its private field is.
  static fields(pending: Pending): Record<string, unknown> {
    const state = pending.#state;
    if (state.values) return state.values;
    const { key, event, unreadable } = state;
    if (key === undefined || event === undefined || unreadable === undefined) throw new SealedDataError('the sealed fields were released before they were read');
    let fields: Record<string, unknown>;
    try {
      fields = decrypt(event, state, key);
    } catch (error) {
      throw error instanceof SealedDataError ? unreadable(error, event, state.subject) : error;
    }
    state.values = fields;
    const target = pending as unknown as Record<string, unknown>;
    try {
      for (const field of state.fields) {
        // A field written before the first read keeps what was written.
        if (Object.getOwnPropertyDescriptor(target, field)?.get) define(target, field, fields[field]);
      }
      // Plain values now: the key need not stay reachable from the event.
      state.key = undefined;
    } catch {
      // A frozen or sealed object keeps its accessors: they answer from the fields kept here.
    }
    return fields;
  }
}

/** The decrypted fields of the object `reader` reads through. */
const settle = (reader: Record<string, unknown>): Record<string, unknown> => {
  const pending = Pending.find(reader);
  if (pending === undefined) throw new SealedDataError('a personal field was read through an object the store did not open');
  return Pending.fields(pending);
};

const define = (target: Record<string, unknown>, field: string, value: unknown): void => {
  Object.defineProperty(target, field, { value, writable: true, enumerable: true, configurable: true });
};

/** One accessor per field name, shared by every object opened on access. */
const accessors = new Map<string, PropertyDescriptor>();
const accessorOf = (field: string): PropertyDescriptor => {
  let accessor = accessors.get(field);
  if (accessor === undefined) {
    accessor = {
      enumerable: true,
      configurable: true,
      get(this: Record<string, unknown>): unknown {
        return settle(this)[field];
      },
      set(this: Record<string, unknown>, value: unknown): void {
        define(this, field, value);
      },
    };
    accessors.set(field, accessor);
  }
  return accessor;
};
