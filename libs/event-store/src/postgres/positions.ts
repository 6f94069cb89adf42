import type { Position } from '@clientela/contracts';

/**
 * A PostgreSQL position packs the writer's transaction id (xid8) above the row's sequence
 * number: (xid << 64) | seq. Readers read in (transaction_id, seq) order and only below
 * the oldest running transaction, so a checkpoint never lets a later commit slip behind it.
 */
const SEQ_BITS = 64n;
const SEQ_MASK = (1n << SEQ_BITS) - 1n;

export interface StorePosition {
  transactionId: string;
  seq: string;
}

export const packPosition = (transactionId: string | bigint, seq: string | bigint): Position =>
  (BigInt(transactionId) << SEQ_BITS) | BigInt(seq);

export const unpackPosition = (position: Position): StorePosition => ({
  transactionId: (position >> SEQ_BITS).toString(),
  seq: (position & SEQ_MASK).toString(),
});
