import { type AccountEvent, type RecordedEvent } from '@clientela/contracts';
import { POSTAL_ADDRESS_COLUMNS, postalAddressRow } from '../postal-address/postal-address.columns';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';

/** The accounts read model: one row per account. Its contacts are counted from the contacts read model. */
export const ACCOUNTS_PROJECTION = 'accounts';

const tables = {
  accounts: {
    columns: {
      id: 'uuid',
      name: 'text',
      // Lower case, for prefix search and sorting by name on an index.
      name_key: 'text',
      domain: 'text',
      industry: 'text',
      size: 'text',
      ...POSTAL_ADDRESS_COLUMNS,
      owner_id: 'uuid',
      archived: { type: 'boolean', default: 'false' },
      archived_at: 'timestamptz',
      registered_at: 'timestamptz',
      updated_at: 'timestamptz',
      revision: { type: 'bigint', default: '0' },
    },
    primaryKey: ['id'],
    indexes: [['name_key'], ['domain'], ['industry'], ['size'], ['owner_id'], ['registered_at']],
  },
} as const;


const changesOf = (event: AccountEvent, revision: number, recordedAt: string): RowChange[] => {
  const key = { id: event.data.accountId };
  const touched: RowChange = { table: 'accounts', key, max: { revision, updated_at: recordedAt } };
  switch (event.type) {
    case 'AccountRegistered': {
      const d = event.data;
      return [
        {
          table: 'accounts',
          key,
          set: {
            name: d.name,
            name_key: d.name.toLowerCase(),
            domain: d.domain ?? null,
            industry: d.industry ?? null,
            size: d.size ?? null,
            ...postalAddressRow(d.address),
            owner_id: d.ownerId ?? null,
            registered_at: d.registeredAt,
          },
        },
        touched,
      ];
    }
    case 'AccountProfileChanged': {
      const d = event.data;
      const set: Record<string, string | number | null> = {};
      if (d.name !== undefined) Object.assign(set, { name: d.name, name_key: d.name.toLowerCase() });
      if (d.domain !== undefined) set.domain = d.domain;
      if (d.industry !== undefined) set.industry = d.industry;
      if (d.size !== undefined) set.size = d.size;
      if (d.ownerId !== undefined) set.owner_id = d.ownerId;
      if (d.address !== undefined) Object.assign(set, postalAddressRow(d.address));
      return [{ table: 'accounts', key, set }, touched];
    }
    case 'AccountArchived':
      return [{ table: 'accounts', key, set: { archived: true, archived_at: event.data.archivedAt } }, touched];
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const accountsProjection = defineProjection<RowProjection<typeof tables>>({
  name: ACCOUNTS_PROJECTION,
  version: 1,
  categories: ['account'],
  eventTypes: ['AccountRegistered', 'AccountProfileChanged', 'AccountArchived'],
  tables,
  project: (event: RecordedEvent): RowChange[] =>
    changesOf(event as unknown as AccountEvent, event.revision, event.recordedAt instanceof Date ? event.recordedAt.toISOString() : String(event.recordedAt)),
});
