import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { PostgresEventStore } from './postgres-event-store';

let database: TestDatabase;

describeEventStoreContract('PostgreSQL', () => ({
  open: async (catalogue) => {
    database ??= await createTestDatabase();
    return PostgresEventStore.create({ connectionString: database.url, catalogue, poolSize: 24 });
  },
  dispose: () => database.drop(),
}));
