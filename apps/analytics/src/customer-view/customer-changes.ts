import type { RowChange } from '@clientela/projections';

/**
 * How many events have changed what the single customer view shows of each contact, kept by each
 * projection the view reads in the same transaction as the rows those events changed: the view's cache
 * (customer-view-cache.ts) holds an answer while the counters of the customer's contacts, read in the
 * same snapshot as the answer, stay the same. Segments and loyalty need none: their per-customer stream
 * revision moves with every event they apply.
 */
export const customerChangesTable = {
  columns: { customer_id: 'uuid', changes: { type: 'bigint', default: '0' } },
  primaryKey: ['customer_id'],
  // Updated again and again: room on each page keeps the updates on their page (see TableDefinition).
  fillfactor: 70,
} as const;

/** One more change to what the view shows of the contact. */
export const customerChanged = (customerId: string): RowChange => ({ table: 'customer_changes', key: { customer_id: customerId }, add: { changes: 1 } });
