import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { MasterKeyError } from './errors';

/** A key-encryption key: wraps the per-person data keys, never touches event data. */
export interface MasterKey {
  /** Not secret: names the key a data key is wrapped with, so rotation knows what to re-wrap. */
  readonly id: string;
  readonly key: Buffer;
}

/** The current master key (wraps new and re-wrapped keys) and earlier ones still accepted for unwrapping. */
export interface MasterKeys {
  readonly current: MasterKey;
  readonly previous: readonly MasterKey[];
}

/** The IV of a wrapped data key (AES-256-GCM). */
export const WRAP_IV_BYTES = 12;
const IV_BYTES = WRAP_IV_BYTES;
const TAG_BYTES = 16;

export const masterKeyFrom = (key: Buffer): MasterKey => {
  if (key.length !== 32) throw new MasterKeyError(`a master key must be 32 bytes (256 bits), got ${key.length}`);
  return { id: createHash('sha256').update('clientela master key id').update(key).digest('hex').slice(0, 16), key };
};

const decodeKey = (text: string, variable: string): MasterKey => {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new MasterKeyError(`${variable} must be 32 bytes in base64`);
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new MasterKeyError(`${variable} must be 32 bytes in base64 (got ${key.length} bytes)`);
  return masterKeyFrom(key);
};

/**
 * `CLIENTELA_MASTER_KEY` (32 bytes, base64) and, while a rotation runs, `CLIENTELA_MASTER_KEY_PREVIOUS`
 * (comma-separated): the keys data keys may still be wrapped with.
 */
export const parseMasterKeys = (current: string, previous = ''): MasterKeys => ({
  current: decodeKey(current, 'CLIENTELA_MASTER_KEY'),
  previous: previous
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part, index) => decodeKey(part, `CLIENTELA_MASTER_KEY_PREVIOUS (key ${index + 1})`)),
});

export const generateMasterKey = (): string => randomBytes(32).toString('base64');

/**
 * AES-256-GCM with a random IV (a caller wrapping many keys passes IVs it drew at once); the subject
 * is bound as associated data, so a wrapped key cannot be moved to another person.
 */
export const wrapDataKey = (master: MasterKey, subject: string, dataKey: Buffer, iv: Buffer = randomBytes(IV_BYTES)): Buffer => {
  if (iv.length !== IV_BYTES) throw new RangeError(`a wrapping IV has ${IV_BYTES} bytes, got ${iv.length}`);
  const cipher = createCipheriv('aes-256-gcm', master.key, iv);
  cipher.setAAD(Buffer.from(subject, 'utf8'));
  const sealed = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]);
};

export const unwrapDataKey = (master: MasterKey, subject: string, wrapped: Buffer): Buffer => {
  if (wrapped.length !== IV_BYTES + 32 + TAG_BYTES) throw new MasterKeyError(`the wrapped data key of ${subject} has ${wrapped.length} bytes`, subject);
  const decipher = createDecipheriv('aes-256-gcm', master.key, wrapped.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(subject, 'utf8'));
  decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new MasterKeyError(`the data key of ${subject} does not open with master key ${master.id}`, subject);
  }
};

/** The master key a data key was wrapped with, among the current and previous ones. */
export const masterKeyById = (keys: MasterKeys, id: string): MasterKey => {
  const found = [keys.current, ...keys.previous].find((key) => key.id === id);
  if (!found) throw new MasterKeyError(`data keys are wrapped with master key ${id}, which is neither CLIENTELA_MASTER_KEY nor among CLIENTELA_MASTER_KEY_PREVIOUS`);
  return found;
};
