import { IsInt, IsNumber, IsString, Min } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { defineEvent, EventCatalogue, streamId, type RecordedEvent } from '@clientela/contracts';
import type { PoolClient } from 'pg';

/** The sample event of this library's tests and bench: one order of a customer, numbered per customer. */
class SampleOrderPlaced {
  @IsString() customerId!: string;
  @IsString() orderId!: string;
  @IsInt() @Min(0) seq!: number;
  @IsNumber() @Min(0) amount!: number;
}

export const SampleOrderPlacedEvent = defineEvent({ type: 'OrderPlaced', payload: SampleOrderPlaced });
export const sampleCatalogue = (): EventCatalogue => new EventCatalogue([SampleOrderPlacedEvent]);
export type SampleOrderData = SampleOrderPlaced;

/** The sample read model: one row per handled order, with the order it arrived in. */
export const createSampleReadModel = async (db: { query: PoolClient['query'] }, table: string): Promise<void> => {
  await db.query(`create table if not exists ${table} (
    customer_id text not null, seq int not null, order_id text not null, amount numeric not null,
    arrival bigserial primary key)`);
};

export const applySampleOrder = async (tx: PoolClient, table: string, event: RecordedEvent): Promise<void> => {
  const data = event.data as unknown as SampleOrderData;
  await tx.query(`insert into ${table} (customer_id, seq, order_id, amount) values ($1, $2, $3, $4)`, [
    data.customerId,
    data.seq,
    data.orderId,
    data.amount,
  ]);
};

/** Customers whose rows did not arrive in seq order 0..n-1, exactly once each. */
export const customersOutOfOrder = async (db: { query: PoolClient['query'] }, table: string, perCustomer: number): Promise<string[]> => {
  const { rows } = await db.query<{ customer_id: string; seqs: number[] }>(
    `select customer_id, array_agg(seq order by arrival) as seqs from ${table} group by customer_id`,
  );
  const expected = Array.from({ length: perCustomer }, (_, i) => i).join(',');
  return rows.filter((row) => row.seqs.join(',') !== expected).map((row) => row.customer_id);
};

/** Rows in a table of the sample read model (or any table). */
export const countRows = async (db: { query: PoolClient['query'] }, table: string): Promise<number> =>
  Number((await db.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0].n);

/**
 * A recorded sample order as a consumer would receive it: number `seq` (position seq + 1) of one of
 * three customers; `data` overrides fields (to make it invalid), `schemaVersion` can be one the catalogue does not know.
 */
export const sampleOrderEvent = (seq: number, data: Record<string, unknown> = {}, schemaVersion = 1): RecordedEvent => ({
  id: randomUUID(),
  type: 'OrderPlaced',
  streamId: streamId('order'),
  revision: 0,
  position: BigInt(seq + 1),
  data: { customerId: `c-${seq % 3}`, orderId: `o-${seq}`, seq, amount: 5, ...data },
  metadata: { schemaVersion },
  recordedAt: new Date(),
});
