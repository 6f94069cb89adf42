import type { RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowProjection } from '@clientela/projections';
import type { ContactDuplicateSuspectedPayload, IdentifierClaimedPayload } from './ingest.events';

export const IDENTIFIERS_PROJECTION = 'ingest_identifiers';
export const DUPLICATES_PROJECTION = 'contact_duplicates';

const keyOf = (streamId: string): string => streamId.slice(streamId.indexOf('-') + 1);

/**
 * Who claims each identifier, by its key: the lookup identity resolution reads a batch's claims
 * from in one query. It may lag; the claim streams' expected revisions catch a stale answer.
 */
export const identifiersProjection = defineProjection<RowProjection<{ claims: { columns: { identifier: 'uuid'; contact_id: 'uuid'; revision: 'bigint' }; primaryKey: ['identifier', 'contact_id'] } }>>({
  name: IDENTIFIERS_PROJECTION,
  version: 1,
  categories: ['identifier'],
  eventTypes: ['IdentifierClaimed'],
  tables: { claims: { columns: { identifier: 'uuid', contact_id: 'uuid', revision: 'bigint' }, primaryKey: ['identifier', 'contact_id'] } },
  project: (event: RecordedEvent) => {
    const data = event.data as unknown as IdentifierClaimedPayload;
    return [{ table: 'claims', key: { identifier: keyOf(event.streamId), contact_id: data.contactId }, set: { revision: event.revision } }];
  },
});

const duplicateTables = {
  pairs: {
    columns: { pair_id: 'uuid', reason: 'text', contact_id: 'uuid', other_contact_id: 'uuid', found_at: 'timestamptz' },
    primaryKey: ['pair_id', 'reason'],
    indexes: [['found_at'], ['contact_id'], ['other_contact_id']],
  },
} as const;

/** Likely duplicates that identity resolution met (nothing merged), with the reason. */
export const duplicatesProjection = defineProjection<RowProjection<typeof duplicateTables>>({
  name: DUPLICATES_PROJECTION,
  version: 1,
  categories: ['contactDuplicate'],
  eventTypes: ['ContactDuplicateSuspected'],
  tables: duplicateTables,
  project: (event: RecordedEvent) => {
    const data = event.data as unknown as ContactDuplicateSuspectedPayload;
    return [
      {
        table: 'pairs',
        key: { pair_id: keyOf(event.streamId), reason: data.reason },
        set: { contact_id: data.contactId, other_contact_id: data.otherContactId },
        min: { found_at: event.recordedAt.toISOString() },
      },
    ];
  },
});
