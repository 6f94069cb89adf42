export {
  EventStoreDbEventStore,
  assertSupportedServer,
  createEventStoreDbEventStore,
  type EventStoreDbConnectOptions,
  type EventStoreDbEventStoreOptions,
} from './eventstoredb-event-store';
// Named apart from the PostgreSQL adapter's packPosition/unpackPosition, so both can be re-exported.
export { packPosition as packEventStoreDbPosition, unpackPosition as unpackEventStoreDbPosition } from './positions';
export { DEFAULT_RESUBSCRIBE, type ResubscribePolicy } from './subscription';
export { EventStoreDbPermissionError, StreamSoftDeletedError } from './errors';
