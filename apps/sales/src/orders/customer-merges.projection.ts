import type { ContactMergedPayload, ContactUnmergedPayload, RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';

/**
 * Which customers count as another now: the contacts service's merges (ContactMerged), undone by
 * ContactUnmerged. Orders and revenue stay keyed by the customer they were placed by; queries for
 * a customer add those of its members, so an unmerge gives each its own figures back unchanged.
 * A projection of its own because it reads the contacts topic, the orders projection the sales one.
 */
export const CUSTOMER_MERGES_PROJECTION = 'customer_merges';

const tables = {
  members: { columns: { contact_id: 'uuid', survivor_id: 'uuid' }, primaryKey: ['contact_id'], indexes: [['survivor_id']] },
} as const;

export const customerMergesProjection = defineProjection<RowProjection<typeof tables>>({
  name: CUSTOMER_MERGES_PROJECTION,
  version: 1,
  categories: ['contact'],
  eventTypes: ['ContactMerged', 'ContactUnmerged'],
  tables,
  project: (event: RecordedEvent): RowChange[] => {
    if (event.type === 'ContactMerged') {
      const d = event.data as unknown as ContactMergedPayload;
      return d.members.map((id) => ({ table: 'members', key: { contact_id: id }, set: { survivor_id: d.survivorId } }));
    }
    if (event.type === 'ContactUnmerged') {
      // The merged contact is its own again; those it had taken in count as it again.
      const d = event.data as unknown as ContactUnmergedPayload;
      return d.members.map((id): RowChange => (id === d.contactId ? { table: 'members', key: { contact_id: id }, delete: true } : { table: 'members', key: { contact_id: id }, set: { survivor_id: d.contactId } }));
    }
    return [];
  },
});
