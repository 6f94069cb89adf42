import { type ContactEvent, type RecordedEvent } from '@clientela/contracts';
import { ERASED_TEXT } from '@clientela/personal-data';
import { scrubbedOnErasure } from '@clientela/service-kit';
import { POSTAL_ADDRESS_COLUMNS, postalAddressRow } from '../postal-address/postal-address.columns';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';

/** The contacts read model: one row per contact, its emails, phones, tags, identities and consents beside it. */
export const CONTACTS_PROJECTION = 'contacts';

const tables = {
  contacts: {
    columns: {
      id: 'uuid',
      given_name: 'text',
      family_name: 'text',
      language: 'text',
      preferred_channel: 'text',
      ...POSTAL_ADDRESS_COLUMNS,
      owner_id: 'uuid',
      account_id: 'uuid',
      lifecycle_stage: 'text',
      registered_at: 'timestamptz',
      updated_at: 'timestamptz',
      revision: { type: 'bigint', default: '0' },
      /** The live contact it counts as now (chains resolved), null while it is its own. */
      merged_into: 'uuid',
    },
    primaryKey: ['id'],
    indexes: [['merged_into'], ['registered_at'], ['lifecycle_stage'], ['owner_id'], ['account_id'], ['country'], ['family_name'], ['updated_at']],
  },
  // `ordinal` keeps the decider's order: a primary address goes before every earlier one, others after.
  contact_emails: { columns: { contact_id: 'uuid', email: 'text', ordinal: 'bigint' }, primaryKey: ['contact_id', 'email'], indexes: [['email']] },
  contact_phones: { columns: { contact_id: 'uuid', phone: 'text', ordinal: 'bigint' }, primaryKey: ['contact_id', 'phone'], indexes: [['phone']] },
  contact_tags: { columns: { contact_id: 'uuid', tag: 'text' }, primaryKey: ['contact_id', 'tag'], indexes: [['tag']] },
  contact_identities: {
    columns: { contact_id: 'uuid', source: 'text', external_id: 'text' },
    primaryKey: ['contact_id', 'source', 'external_id'],
    indexes: [['source', 'external_id']],
  },
  // Values as JSON text: a field's type is in its definition, and a column per type would be mostly empty.
  contact_custom_fields: { columns: { contact_id: 'uuid', key: 'text', value: 'text' }, primaryKey: ['contact_id', 'key'], indexes: [['key', 'value']] },
  contact_consents: {
    columns: { contact_id: 'uuid', channel: 'text', purpose: 'text', granted: 'boolean', source: 'text', changed_at: 'timestamptz' },
    primaryKey: ['contact_id', 'channel', 'purpose'],
  },
} as const;

const changesOf = (event: ContactEvent, revision: number, recordedAt: string): RowChange[] => {
  const contact = { id: event.data.contactId };
  const key = { contact_id: event.data.contactId };
  const touched: RowChange = { table: 'contacts', key: contact, max: { revision, updated_at: recordedAt } };
  switch (event.type) {
    case 'ContactRegistered': {
      const d = event.data;
      return [
        {
          table: 'contacts',
          key: contact,
          set: {
            given_name: d.givenName ?? null,
            family_name: d.familyName ?? null,
            language: d.language ?? null,
            preferred_channel: d.preferredChannel ?? null,
            ...postalAddressRow(d.address),
            owner_id: d.ownerId ?? null,
            account_id: d.accountId ?? null,
            lifecycle_stage: d.lifecycleStage,
            registered_at: d.registeredAt,
          },
        },
        touched,
      ];
    }
    case 'ContactProfileChanged': {
      const d = event.data;
      const set: Record<string, string | number | null> = {};
      if (d.givenName !== undefined) set.given_name = d.givenName;
      if (d.familyName !== undefined) set.family_name = d.familyName;
      if (d.language !== undefined) set.language = d.language;
      if (d.preferredChannel !== undefined) set.preferred_channel = d.preferredChannel;
      if (d.ownerId !== undefined) set.owner_id = d.ownerId;
      if (d.accountId !== undefined) set.account_id = d.accountId;
      if (d.address !== undefined) Object.assign(set, postalAddressRow(d.address));
      return [{ table: 'contacts', key: contact, set }, touched];
    }
    case 'ContactEmailAdded':
      return [{ table: 'contact_emails', key: { ...key, email: event.data.email }, set: { ordinal: event.data.primary ? -revision : revision } }, touched];
    case 'ContactEmailRemoved':
      return [{ table: 'contact_emails', key: { ...key, email: event.data.email }, delete: true }, touched];
    case 'ContactPhoneAdded':
      return [{ table: 'contact_phones', key: { ...key, phone: event.data.phone }, set: { ordinal: event.data.primary ? -revision : revision } }, touched];
    case 'ContactPhoneRemoved':
      return [{ table: 'contact_phones', key: { ...key, phone: event.data.phone }, delete: true }, touched];
    case 'ContactTagged':
      return [{ table: 'contact_tags', key: { ...key, tag: event.data.tag }, set: {} }, touched];
    case 'ContactUntagged':
      return [{ table: 'contact_tags', key: { ...key, tag: event.data.tag }, delete: true }, touched];
    case 'ContactIdentityLinked':
      return [{ table: 'contact_identities', key: { ...key, source: event.data.source, external_id: event.data.externalId }, set: {} }, touched];
    case 'ContactIdentityUnlinked':
      return [{ table: 'contact_identities', key: { ...key, source: event.data.source, external_id: event.data.externalId }, delete: true }, touched];
    case 'ContactLifecycleStageChanged':
      return [{ table: 'contacts', key: contact, set: { lifecycle_stage: event.data.to } }, touched];
    case 'ContactConsentGiven':
    case 'ContactConsentWithdrawn':
      return [
        {
          table: 'contact_consents',
          key: { ...key, channel: event.data.channel, purpose: event.data.purpose },
          set: { granted: event.type === 'ContactConsentGiven', source: event.data.source, changed_at: event.data.at },
        },
        touched,
      ];
    case 'ContactCustomFieldsChanged':
      return [
        ...Object.entries(event.data.values).map(([field, value]): RowChange =>
          value === null
            ? { table: 'contact_custom_fields', key: { ...key, key: field }, delete: true }
            : { table: 'contact_custom_fields', key: { ...key, key: field }, set: { value: JSON.stringify(value) } },
        ),
        touched,
      ];
    // Nothing of either contact is moved: the survivor is read with its members (merged_into), so an
    // unmerge only has to give each member back its own merged_into.
    case 'ContactMerged':
      return [...event.data.members.map((id): RowChange => ({ table: 'contacts', key: { id }, set: { merged_into: event.data.survivorId } })), touched];
    case 'ContactUnmerged':
      return [
        ...event.data.members.map((id): RowChange => ({ table: 'contacts', key: { id }, set: { merged_into: id === event.data.contactId ? null : event.data.contactId } })),
        touched,
      ];
    // ContactErased: the rows are scrubbed by SQL (scrubbedOnErasure below), their keys being the personal values.
    case 'ContactDuplicateAbsorbed':
    case 'ContactDuplicateReleased':
    case 'ContactErased':
      return [touched];
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};


const contactRows = defineProjection<RowProjection<typeof tables>>({
  name: CONTACTS_PROJECTION,
  // 2: custom field values and an index on account_id. 3: merged_into. 4: scrubbed on ContactErased.
  version: 4,
  categories: ['contact'],
  eventTypes: [
    'ContactRegistered',
    'ContactProfileChanged',
    'ContactEmailAdded',
    'ContactEmailRemoved',
    'ContactPhoneAdded',
    'ContactPhoneRemoved',
    'ContactTagged',
    'ContactUntagged',
    'ContactIdentityLinked',
    'ContactIdentityUnlinked',
    'ContactLifecycleStageChanged',
    'ContactConsentGiven',
    'ContactConsentWithdrawn',
    'ContactCustomFieldsChanged',
    'ContactMerged',
    'ContactUnmerged',
    'ContactDuplicateAbsorbed',
    'ContactDuplicateReleased',
    'ContactErased',
  ],
  tables,
  project: (event: RecordedEvent): RowChange[] =>
    changesOf(event as unknown as ContactEvent, event.revision, (event.recordedAt instanceof Date ? event.recordedAt.toISOString() : String(event.recordedAt))),
});

const addressColumns = Object.keys(POSTAL_ADDRESS_COLUMNS).map((column) => `${column} = null`).join(', ');

/**
 * On ContactErased the contact keeps its row (id, stage, dates, merges: what counts and links stay)
 * with its names read as erased and its address gone (the whole address is personal in the
 * contract), and loses its emails, phones, identities and custom values (their keys are the values).
 * Tags and consents stay: the contract does not hold them personal. A rebuild reads the same.
 */
export const contactsProjection = scrubbedOnErasure(contactRows, async (event, { client }) => {
  const id = event.data.contactId;
  await client.query(
    `update contacts set given_name = case when given_name is null then null else $2 end,
                         family_name = case when family_name is null then null else $2 end, ${addressColumns}
      where id = $1`,
    [id, ERASED_TEXT],
  );
  for (const table of ['contact_emails', 'contact_phones', 'contact_identities', 'contact_custom_fields']) {
    await client.query(`delete from ${table} where contact_id = $1`, [id]);
  }
});
