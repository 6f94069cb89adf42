import { createCipheriv, createDecipheriv, createHmac, type KeyObject } from 'node:crypto';

/** The data field that holds an event's personal fields, sealed. */
export const SEALED_FIELD = '$personal';
/** What a personal text reads as once its person's key is destroyed. Lists read as [], objects as {}, numbers and booleans as null. */
export const ERASED_TEXT = '[erased]';

/** The JSON kind of each sealed field, kept in clear so an erased field keeps its shape. */
type FieldKind = 's' | 'n' | 'b' | 'a' | 'o';

/** An event's personal fields as stored: who they belong to, their kinds, and one AES-256-GCM ciphertext of all of them. */
export interface SealedPersonalData {
  v: 1;
  /** The person (data key) they are sealed under. */
  s: string;
  f: Record<string, FieldKind>;
  /** base64 of IV (12 bytes) | ciphertext | tag (16 bytes). */
  c: string;
}

/** A person's data key, ready to use. */
export interface DataKey {
  readonly encryption: KeyObject;
  /** Derives each event's IV from what it seals, so sealing the same event twice gives the same bytes (idempotent appends compare them). */
  readonly iv: KeyObject;
}

/** The event a payload belongs to: its id and type are bound to the ciphertext, so sealed data cannot be moved to another event. */
export interface EventIdentity {
  id: string;
  type: string;
}

/** Why sealed data did not open; the caller names the event. */
export class SealedDataError extends Error {}

const IV_BYTES = 12;
const TAG_BYTES = 16;

const kindOf = (value: unknown): FieldKind =>
  typeof value === 'string' ? 's' : typeof value === 'number' ? 'n' : typeof value === 'boolean' ? 'b' : Array.isArray(value) ? 'a' : 'o';

const erasedValue = (kind: FieldKind): unknown => (kind === 's' ? ERASED_TEXT : kind === 'a' ? [] : kind === 'o' ? {} : null);

const associatedData = (event: EventIdentity, subject: string): Buffer => Buffer.from(`${event.id}\n${event.type}\n${subject}`, 'utf8');

export const isSealed = (data: Record<string, unknown>): boolean => Object.prototype.hasOwnProperty.call(data, SEALED_FIELD);

/**
 * Moves the personal fields present in `data` (null and absent ones stay as they are: a cleared
 * field says nothing about the person) into one sealed field. The IV is an HMAC of the event and
 * the plaintext: deterministic for the same event and values, different for anything else.
 */
export const sealPersonalFields = (
  event: EventIdentity,
  data: Record<string, unknown>,
  personalFields: readonly string[],
  subject: string,
  key: DataKey,
): Record<string, unknown> => {
  const picked: Record<string, unknown> = {};
  const kinds: Record<string, FieldKind> = {};
  let any = false;
  for (const field of personalFields) {
    const value = data[field];
    if (value === undefined || value === null) continue;
    picked[field] = value;
    kinds[field] = kindOf(value);
    any = true;
  }
  if (!any) return data;
  const plaintext = Buffer.from(JSON.stringify(picked), 'utf8');
  const aad = associatedData(event, subject);
  const iv = createHmac('sha256', key.iv).update(aad).update(plaintext).digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.encryption, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const rest: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(data)) if (!(field in kinds)) rest[field] = value;
  const sealed: SealedPersonalData = { v: 1, s: subject, f: kinds, c: ciphertext.toString('base64') };
  rest[SEALED_FIELD] = sealed;
  return rest;
};

/** The sealed part of stored data, checked for shape; throws SealedDataError saying what is wrong. */
export const sealedPartOf = (data: Record<string, unknown>): SealedPersonalData | undefined => {
  const sealed = data[SEALED_FIELD];
  if (sealed === undefined) return undefined;
  if (typeof sealed !== 'object' || sealed === null) throw new SealedDataError('the sealed field is not an object');
  const { v, s, f, c } = sealed as Partial<SealedPersonalData>;
  if (v !== 1) throw new SealedDataError(`unknown sealing version ${String(v)}`);
  if (typeof s !== 'string' || typeof c !== 'string' || typeof f !== 'object' || f === null) throw new SealedDataError('the sealed field is malformed');
  return sealed as SealedPersonalData;
};

/** The data without its sealed field, the personal fields back in it (or erased, with `key` undefined). Throws SealedDataError on tampering. */
export const openPersonalFields = (
  event: EventIdentity,
  data: Record<string, unknown>,
  sealed: SealedPersonalData,
  key: DataKey | undefined,
): Record<string, unknown> => {
  const opened: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(data)) if (field !== SEALED_FIELD) opened[field] = value;
  if (key === undefined) {
    for (const [field, kind] of Object.entries(sealed.f)) opened[field] = erasedValue(kind);
    return opened;
  }
  const bytes = Buffer.from(sealed.c, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new SealedDataError('the ciphertext is too short');
  const decipher = createDecipheriv('aes-256-gcm', key.encryption, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(associatedData(event, sealed.s));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  let plaintext: string;
  try {
    plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedDataError('the ciphertext does not authenticate (tampered, or sealed under another key or for another event)');
  }
  const fields = JSON.parse(plaintext) as Record<string, unknown>;
  for (const field of Object.keys(sealed.f)) opened[field] = fields[field];
  return opened;
};
