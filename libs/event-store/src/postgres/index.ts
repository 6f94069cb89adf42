export * from './postgres-event-store';
export { migrate as migrateSchema, assertSchemaName } from './migrate';
export type { Migration } from './schema';
export { packPosition, unpackPosition } from './position-codec';
export { withTransaction } from './with-transaction';
export { isConnectionError } from './pg-errors';
export { openWriteTransactions, type HorizonHolder } from './horizon';
