/** SQLSTATEs raised by append_events (see schema.ts). */
export const WRONG_REVISION = 'CE001';
export const STREAM_TOMBSTONED = 'CE002';
export const IDEMPOTENCY_CONFLICT = 'CE003';

// The test of a lost connection and the reading of pg's errors serve every library: @clientela/postgres.
export { asPgError, isConnectionError, type PgError } from '@clientela/postgres';
