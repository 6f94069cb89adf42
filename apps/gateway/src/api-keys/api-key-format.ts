import { createHash, randomBytes } from 'node:crypto';

/**
 * A key reads `ck_<prefix>_<secret>`: the prefix (8 hex) is public, shown in lists and logs to
 * tell keys apart; the secret is 32 random bytes (base64url). Only the SHA-256 of the whole key
 * is stored: enough for a high-entropy secret, which no one can guess or brute-force from its hash.
 */
const GENERATED_KEY = /^ck_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

export const generateApiKey = (random: (size: number) => Buffer = randomBytes): { key: string; prefix: string } => {
  const prefix = random(4).toString('hex');
  return { key: `ck_${prefix}_${random(32).toString('base64url')}`, prefix };
};

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/**
 * The public prefix of a key: its own for a generated key; for another high-entropy string
 * (an ADMIN_API_KEY chosen by hand), the start of its hash, which tells nothing about the key.
 */
export const displayPrefixOf = (key: string): string => GENERATED_KEY.exec(key)?.[1] ?? hashApiKey(key).slice(0, 8);

/** Cheap shape check before hashing: printable ASCII, bounded, so junk never reaches the database. */
export const isPlausibleApiKey = (key: string): boolean => key.length >= 16 && key.length <= 256 && /^[\x21-\x7e]+$/.test(key);
