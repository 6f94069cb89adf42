import type { Pool } from 'pg';

/** Streams written per statement while growing: 10 events each, so 200,000 events a statement. */
const STREAMS_PER_STATEMENT = 20_000;
export const EVENTS_PER_GROWN_STREAM = 10;

/**
 * The columns of the bench's events, made by PostgreSQL for `$1` new streams (`s`, with a stream id,
 * a customer id and a CDNOW-like customer number) of 10 events each (`r.r` the revision): about the
 * size of the CDNOW orders the phases append. For `insert ... select <these> from ${GROWN_FROM}`.
 */
export const GROWN_STREAMS = `(select 'order-' || gen_random_uuid() as stream_id, gen_random_uuid() as customer_id,
          (1 + floor(random() * 23570))::int::text as external_id
     from generate_series(1, $1::int)) as s`;
export const GROWN_FROM = `${GROWN_STREAMS} cross join generate_series(0, ${EVENTS_PER_GROWN_STREAM - 1}) as r(r)`;
export const GROWN_DATA = `jsonb_build_object('orderId', gen_random_uuid(), 'customerId', s.customer_id, 'externalCustomerId', s.external_id,
          'placedAt', '1997-03-01T12:00:00Z', 'itemCount', 1 + r.r, 'totalAmount', 12.49 + r.r, 'currency', 'USD', 'channel', 'web')`;
export const GROWN_METADATA = `jsonb_build_object('correlationId', gen_random_uuid(), 'actor', 'bench', 'source', 'cdnow',
          'occurredAt', '1997-03-01T12:00:00Z', 'schemaVersion', 1)`;

/**
 * Runs `statement` (which takes the number of streams as $1) until `events` events are in, one
 * transaction each, then vacuums and analyzes `tables` as autovacuum would have by then.
 */
export const growBy = async (pool: Pool, events: number, statement: string, tables: readonly string[]): Promise<void> => {
  let streams = Math.ceil(events / EVENTS_PER_GROWN_STREAM);
  while (streams > 0) {
    const now = Math.min(streams, STREAMS_PER_STATEMENT);
    await pool.query(statement, [now]);
    streams -= now;
  }
  for (const table of tables) await pool.query(`vacuum analyze ${table}`);
};
