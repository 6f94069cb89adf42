import type { StreamMetadata as EsdbStreamMetadata } from '@eventstore/db-client';
import type { StreamMetadata } from '../port/event-store';
import { InvalidArgumentError } from '../port/errors';

/**
 * The names the client maps to EventStoreDB's system keys (`$tb`, `$maxCount`, `$maxAge`,
 * `$cacheControl`, `$acl`). Custom keys sit next to them at the top level of the metadata JSON,
 * as EventStoreDB expects, so a custom key may neither use these names nor start with `$`.
 */
const CLIENT_KEYS = new Set(['truncateBefore', 'maxCount', 'maxAge', 'cacheControl', 'acl']);
const PORT_KEYS = new Set(['truncateBefore', 'maxCount', 'maxAge', 'custom']);

/**
 * A soft delete sets `$tb` to Int64.MaxValue (EventNumber.DeletedStream); JSON.parse reads it
 * as 9223372036854775808. Anything above 2^53 can only be that marker.
 */
export const isSoftDeleteMarker = (truncateBefore: unknown): boolean =>
  typeof truncateBefore === 'number' && truncateBefore > Number.MAX_SAFE_INTEGER;

const invalid = (path: string, message: string): InvalidArgumentError =>
  new InvalidArgumentError(`stream metadata: ${path} ${message}`, [{ path, constraints: { [path]: message } }]);

const integer = (value: unknown, path: string, min: number): number | undefined => {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
  throw invalid(path, `must be an integer >= ${min}`);
};

/** The port's metadata as the client writes it; refuses what EventStoreDB would misread. */
export const toEsdbStreamMetadata = (metadata: StreamMetadata): EsdbStreamMetadata => {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw invalid('metadata', 'must be an object');
  }
  for (const key of Object.keys(metadata)) {
    if (!PORT_KEYS.has(key)) throw invalid(key, 'is not a stream metadata field (truncateBefore, maxCount, maxAge, custom)');
  }
  const result: EsdbStreamMetadata = {};
  const custom: unknown = metadata.custom;
  if (custom !== undefined) {
    if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) throw invalid('custom', 'must be an object');
    for (const [key, value] of Object.entries(custom)) {
      if (key.startsWith('$') || CLIENT_KEYS.has(key)) {
        throw invalid(`custom.${key}`, 'is reserved by EventStoreDB (names starting with $, and the system names)');
      }
      if (value !== undefined) result[key] = value;
    }
  }
  const truncateBefore = integer(metadata.truncateBefore, 'truncateBefore', 0);
  const maxCount = integer(metadata.maxCount, 'maxCount', 1);
  const maxAge = integer(metadata.maxAge, 'maxAge', 1);
  if (truncateBefore !== undefined) result.truncateBefore = truncateBefore;
  if (maxCount !== undefined) result.maxCount = maxCount;
  if (maxAge !== undefined) result.maxAge = maxAge;
  return result;
};

const SERVER_NAMES: Record<string, string> = { truncateBefore: '$tb', maxCount: '$maxCount', maxAge: '$maxAge' };

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/** Stored metadata (the server's JSON) that marks the stream soft-deleted. */
export const isSoftDeleted = (stored: unknown): boolean => isJsonObject(stored) && isSoftDeleteMarker(stored.$tb);

/**
 * The metadata event to write, in the server's own JSON. Metadata is replaced as a whole, in
 * EventStoreDB as in the PostgreSQL adapter: a field the caller leaves out is removed (leaving
 * out truncateBefore shows truncated events again, as there). Only EventStoreDB's own settings
 * that the port does not model (`$acl`, `$cacheControl`) are carried over as stored, so an
 * operator's ACL survives a metadata update from the application.
 */
export const mergeStreamMetadata = (next: EsdbStreamMetadata, current: unknown): Record<string, unknown> => {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) merged[SERVER_NAMES[key] ?? key] = value;
  if (isJsonObject(current)) {
    if (current.$acl !== undefined) merged.$acl = current.$acl;
    if (current.$cacheControl !== undefined) merged.$cacheControl = current.$cacheControl;
  }
  return merged;
};

/** The port's view of stored metadata (the soft-delete marker is reported as `deleted`, not here). */
export const fromEsdbStreamMetadata = (stored: EsdbStreamMetadata | undefined): StreamMetadata => {
  if (stored === undefined) return {};
  const result: StreamMetadata = {};
  if (typeof stored.truncateBefore === 'number' && !isSoftDeleteMarker(stored.truncateBefore)) {
    result.truncateBefore = stored.truncateBefore;
  }
  if (typeof stored.maxCount === 'number') result.maxCount = stored.maxCount;
  if (typeof stored.maxAge === 'number') result.maxAge = stored.maxAge;
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (!CLIENT_KEYS.has(key) && !key.startsWith('$')) custom[key] = value;
  }
  if (Object.keys(custom).length > 0) result.custom = custom;
  return result;
};
