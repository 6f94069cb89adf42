/** SQLSTATEs raised by append_events and append_to_streams (see schema.ts). */
export const WRONG_REVISION = 'CE001';
export const STREAM_TOMBSTONED = 'CE002';
export const IDEMPOTENCY_CONFLICT = 'CE003';
/** append_to_streams without looking ids up met a stream not where an append expects it: call again looking them up. */
export const LOOK_UP_IDS = 'CE009';

// The test of a lost connection and the reading of pg's errors serve every library: @clientela/postgres.
export { asPgError, isConnectionError, type PgError } from '@clientela/postgres';
