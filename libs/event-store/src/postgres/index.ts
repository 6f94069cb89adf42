export * from './postgres-event-store';
export { EVENT_STORE_MIGRATIONS } from './schema';
export { packPosition, unpackPosition } from './positions';
// Moved to @clientela/postgres; re-exported here so that existing imports keep working.
export { migrate as migrateSchema, assertSchemaName, withTransaction, isConnectionError, type Migration } from '@clientela/postgres';
export { openWriteTransactions, type HorizonHolder } from './horizon';
