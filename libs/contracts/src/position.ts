import { ValidationError } from './errors';

/**
 * A place in the global order of the store. Opaque to callers: compare with <, >, ===
 * and carry it as a decimal string (`formatPosition`). Adapters pack their native
 * positions into one bigint that sorts in read order (see docs/architecture.md).
 */
export type Position = bigint;

/** Before the first event: reading from here starts at the beginning. */
export const START: Position = 0n;

export const formatPosition = (position: Position): string => position.toString(10);

export const parsePosition = (value: unknown, field = 'position'): Position => {
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d{1,40}$/.test(value.trim())) return BigInt(value.trim());
  throw new ValidationError(`${field} must be a non-negative integer, got ${JSON.stringify(String(value))}`, [
    { path: field, constraints: { position: 'must be a non-negative integer' } },
  ]);
};

export const maxPosition = (a: Position, b: Position): Position => (a > b ? a : b);
