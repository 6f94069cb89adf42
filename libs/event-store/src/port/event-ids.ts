import { randomFillSync } from 'node:crypto';

// Random bits are drawn in blocks (one call to the system for 256 ids), as randomUUID does.
const entropy = Buffer.alloc(2_560);
let used = entropy.length;

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits. The ids
 * the store makes for events that come without one: new ids then land at the right edge of the
 * event id index (and its idempotency lookups on the pages last used) instead of on a random page
 * of an index that outgrows memory as the store grows.
 */
export const timeOrderedUuid = (now: number = Date.now()): string => {
  if (used + 10 > entropy.length) {
    randomFillSync(entropy);
    used = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(now, 0, 6);
  entropy.copy(bytes, 6, used, used + 10);
  used += 10;
  bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
