import type {
  ContactConsentPayload,
  ContactEmailAddedPayload,
  ContactIdentityLinkedPayload,
  ContactLifecycleStageChangedPayload,
  ContactMergedPayload,
  ContactPhoneAddedPayload,
  ContactProfileChangedPayload,
  ContactRegisteredPayload,
  ContactUnmergedPayload,
  LeadCapturedPayload,
  LeadConvertedPayload,
  LeadQualificationChangedPayload,
  RecordedEvent,
} from '@clientela/contracts';
import { ERASED_TEXT } from '@clientela/personal-data';
import { defineProjection, writeRowChanges, type RowChange, type RowProjection, type Scalar } from '@clientela/projections';
import { scrubbedOnErasure } from '@clientela/service-kit';
import { customerChanged, customerChangesTable } from './customer-changes';
import { interaction, interactionsTable, timelineRow, timelineTable, type TimelineChannel } from './timeline';

/**
 * The contacts context's part of the single customer view, one projection because in Kafka mode a
 * projection follows one context's topic: each contact's profile, identities, consents, lifecycle
 * stages, last interaction per channel, the leads it came from, who counts as whom after merges, and
 * the timeline of its contact, lead and activity events.
 *
 * Personal values are only in `profiles.given_name`, `profiles.family_name`, `profiles.address` and
 * `identities.value`: erasure scrubs those columns. The timeline keeps payloads without personal fields.
 */
export const CUSTOMER_CONTACTS_PROJECTION = 'analytics_customer_contacts';

const tables = {
  profiles: {
    columns: {
      customer_id: 'uuid',
      given_name: 'text',
      family_name: 'text',
      language: 'text',
      preferred_channel: 'text',
      /** The postal address as JSON. */
      address: 'jsonb',
      owner_id: 'uuid',
      account_id: 'uuid',
      lifecycle_stage: 'text',
      registered_at: 'timestamptz',
      updated_at: 'timestamptz',
    },
    primaryKey: ['customer_id'],
    indexes: [['registered_at']],
  },
  /** Emails, phones and external ids (`source` is the system of an external id, '' otherwise). */
  identities: {
    columns: { customer_id: 'uuid', kind: 'text', source: 'text', value: 'text' },
    primaryKey: ['customer_id', 'kind', 'source', 'value'],
  },
  consents: {
    columns: { customer_id: 'uuid', channel: 'text', purpose: 'text', granted: 'boolean', source: 'text', at: 'timestamptz' },
    primaryKey: ['customer_id', 'channel', 'purpose'],
  },
  /** When the contact first entered each lifecycle stage: the funnel. */
  stages: {
    columns: { customer_id: 'uuid', stage: 'text', entered_at: 'timestamptz' },
    primaryKey: ['customer_id', 'stage'],
    indexes: [['stage']],
  },
  interactions: interactionsTable,
  /** Merged contacts and the survivor they count as now (ContactMerged; ContactUnmerged gives them back). */
  members: {
    columns: { contact_id: 'uuid', survivor_id: 'uuid' },
    primaryKey: ['contact_id'],
    indexes: [['survivor_id']],
  },
  /** Leads with their acquisition facts; `customer_id` once converted. No personal values: those stay in the lead's own read model. */
  leads: {
    columns: {
      lead_id: 'uuid',
      customer_id: 'uuid',
      source: 'text',
      campaign_id: 'uuid',
      cost_amount: 'numeric',
      cost_currency: 'text',
      status: 'text',
      score: 'integer',
      captured_at: 'timestamptz',
      converted_at: 'timestamptz',
    },
    primaryKey: ['lead_id'],
    indexes: [['customer_id'], ['captured_at']],
  },
  timeline: timelineTable,
  customer_changes: customerChangesTable,
} as const;

/** An instant in one form (UTC ISO), so that keeping the earliest or latest compares like with like. */
const utc = (iso: string): string => new Date(iso).toISOString();

const ACTIVITY_CHANNELS: Readonly<Record<string, TimelineChannel>> = {
  CustomerEmailOpened: 'email',
  CustomerEmailClicked: 'email',
  CustomerWebPageViewed: 'web',
  CustomerCallLogged: 'phone',
  CustomerSocialMentioned: 'social',
};

const PROFILE_FIELDS: ReadonlyArray<[keyof ContactProfileChangedPayload, string]> = [
  ['givenName', 'given_name'],
  ['familyName', 'family_name'],
  ['language', 'language'],
  ['preferredChannel', 'preferred_channel'],
  ['ownerId', 'owner_id'],
  ['accountId', 'account_id'],
];

/** The fields a profile event names, null clearing one; the address as JSON. */
const profileColumns = (d: Partial<ContactProfileChangedPayload>): Record<string, Scalar> => {
  const set: Record<string, Scalar> = {};
  for (const [field, column] of PROFILE_FIELDS) if (field in d) set[column] = (d[field] as string | null | undefined) ?? null;
  if ('address' in d) set.address = d.address ? JSON.stringify(d.address) : null;
  return set;
};

const identity = (customerId: string, kind: 'email' | 'phone' | 'external', source: string, value: string, remove: boolean): RowChange =>
  remove
    ? { table: 'identities', key: { customer_id: customerId, kind, source, value }, delete: true }
    : { table: 'identities', key: { customer_id: customerId, kind, source, value }, set: {} };

const stageEntered = (customerId: string, stage: string, at: string): RowChange => ({ table: 'stages', key: { customer_id: customerId, stage }, min: { entered_at: utc(at) } });

/** The row changes of a contact event beside its timeline row. */
const contactChanges = (event: RecordedEvent): { changes: RowChange[]; at?: string } => {
  const customerId = (event.data as { customerId: string }).customerId;
  switch (event.type) {
    case 'ContactRegistered': {
      const d = event.data as unknown as ContactRegisteredPayload;
      return {
        at: d.registeredAt,
        changes: [
          { table: 'profiles', key: { customer_id: customerId }, set: { ...profileColumns(d), lifecycle_stage: d.lifecycleStage, registered_at: d.registeredAt, updated_at: d.registeredAt } },
          stageEntered(customerId, d.lifecycleStage, d.registeredAt),
        ],
      };
    }
    case 'ContactProfileChanged': {
      const d = event.data as unknown as ContactProfileChangedPayload;
      return { at: d.changedAt, changes: [{ table: 'profiles', key: { customer_id: customerId }, set: { ...profileColumns(d), updated_at: d.changedAt } }] };
    }
    case 'ContactEmailAdded':
    case 'ContactEmailRemoved':
      return { changes: [identity(customerId, 'email', '', (event.data as unknown as ContactEmailAddedPayload).email, event.type === 'ContactEmailRemoved')] };
    case 'ContactPhoneAdded':
    case 'ContactPhoneRemoved':
      return { changes: [identity(customerId, 'phone', '', (event.data as unknown as ContactPhoneAddedPayload).phone, event.type === 'ContactPhoneRemoved')] };
    case 'ContactIdentityLinked':
    case 'ContactIdentityUnlinked': {
      const d = event.data as unknown as ContactIdentityLinkedPayload;
      return { changes: [identity(customerId, 'external', d.source, d.externalId, event.type === 'ContactIdentityUnlinked')] };
    }
    case 'ContactLifecycleStageChanged': {
      const d = event.data as unknown as ContactLifecycleStageChangedPayload;
      return {
        at: d.changedAt,
        changes: [{ table: 'profiles', key: { customer_id: customerId }, set: { lifecycle_stage: d.to, updated_at: d.changedAt } }, stageEntered(customerId, d.to, d.changedAt)],
      };
    }
    case 'ContactConsentGiven':
    case 'ContactConsentWithdrawn': {
      const d = event.data as unknown as ContactConsentPayload;
      return {
        at: d.at,
        changes: [{ table: 'consents', key: { customer_id: customerId, channel: d.channel, purpose: d.purpose }, set: { granted: event.type === 'ContactConsentGiven', source: d.source, at: d.at } }],
      };
    }
    case 'ContactMerged': {
      // The survivor's view now holds the members' rows, and each member's id answers with it.
      const d = event.data as unknown as ContactMergedPayload;
      return {
        at: d.mergedAt,
        changes: [...d.members.map((id): RowChange => ({ table: 'members', key: { contact_id: id }, set: { survivor_id: d.survivorId } })), customerChanged(d.survivorId), ...d.members.map(customerChanged)],
      };
    }
    case 'ContactUnmerged': {
      // The merged contact is its own again; those it had taken in count as it again.
      const d = event.data as unknown as ContactUnmergedPayload;
      return {
        at: d.unmergedAt,
        changes: [
          ...d.members.map((id): RowChange => (id === d.contactId ? { table: 'members', key: { contact_id: id }, delete: true } : { table: 'members', key: { contact_id: id }, set: { survivor_id: d.contactId } })),
          customerChanged(d.survivorId),
          ...d.members.map(customerChanged),
        ],
      };
    }
    default:
      return { changes: [] };
  }
};

const leadChanges = (event: RecordedEvent): RowChange[] => {
  switch (event.type) {
    case 'LeadCaptured': {
      const d = event.data as unknown as LeadCapturedPayload;
      return [
        {
          table: 'leads',
          key: { lead_id: d.leadId },
          set: { source: d.source, campaign_id: d.campaignId ?? null, cost_amount: d.acquisitionCost?.amount ?? null, cost_currency: d.acquisitionCost?.currency ?? null, status: 'new', captured_at: d.capturedAt },
        },
        timelineRow(event, { leadId: d.leadId }, 'crm', d.capturedAt),
      ];
    }
    case 'LeadQualificationChanged': {
      const d = event.data as unknown as LeadQualificationChangedPayload;
      return [{ table: 'leads', key: { lead_id: d.leadId }, set: { status: d.to, ...(d.score !== undefined ? { score: d.score } : {}) } }, timelineRow(event, { leadId: d.leadId }, 'crm', d.changedAt)];
    }
    case 'LeadConverted': {
      const d = event.data as unknown as LeadConvertedPayload;
      return [
        { table: 'leads', key: { lead_id: d.leadId }, set: { customer_id: d.contactId, status: 'converted', converted_at: d.convertedAt } },
        // The view shows a lead from its conversion on (a converted lead changes no more).
        customerChanged(d.contactId),
        timelineRow(event, { customerId: d.contactId, leadId: d.leadId }, 'crm', d.convertedAt),
      ];
    }
    case 'LeadProfileChanged': {
      const d = event.data as { leadId: string; changedAt: string };
      return [timelineRow(event, { leadId: d.leadId }, 'crm', d.changedAt)];
    }
    default:
      return [];
  }
};

const CONTACT_TYPES = [
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
  'ContactMerged',
  'ContactUnmerged',
  'ContactDuplicateAbsorbed',
  'ContactDuplicateReleased',
];
const LEAD_TYPES = ['LeadCaptured', 'LeadProfileChanged', 'LeadQualificationChanged', 'LeadConverted'];

/** The pure row mapping (what the unit spec checks); the service runs customerContactsProjection below. */
export const customerContactRows = defineProjection<RowProjection<typeof tables>>({
  name: CUSTOMER_CONTACTS_PROJECTION,
  // 2: the view's change counters.
  version: 2,
  categories: ['contact', 'lead', 'activity'],
  eventTypes: [...CONTACT_TYPES, ...LEAD_TYPES, ...Object.keys(ACTIVITY_CHANNELS)],
  tables,
  project: (event: RecordedEvent): RowChange[] => {
    const channel = ACTIVITY_CHANNELS[event.type];
    if (channel) {
      const d = event.data as { customerId: string; occurredAt: string };
      return [interaction(d.customerId, channel, utc(d.occurredAt)), customerChanged(d.customerId), timelineRow(event, { customerId: d.customerId }, channel, d.occurredAt)];
    }
    if (LEAD_TYPES.includes(event.type)) return leadChanges(event);
    if (!CONTACT_TYPES.includes(event.type)) return [];
    const { changes, at } = contactChanges(event);
    const customerId = (event.data as { customerId: string }).customerId;
    return [...changes, customerChanged(customerId), timelineRow(event, { customerId }, 'crm', at)];
  },
});

/**
 * On ContactErased (one per contact of the erased group) the profile keeps its row, dates and stage,
 * with its names read as erased and its address gone, and the contact's identities go (their keys
 * are the values), as in the contacts read model. A rebuild reads the same: the sealed fields are
 * erased markers by then.
 */
export const customerContactsProjection = scrubbedOnErasure(customerContactRows, async (event, { client }) => {
  const id = event.data.contactId;
  await client.query(
    `update profiles set given_name = case when given_name is null then null else $2 end,
                         family_name = case when family_name is null then null else $2 end, address = null
      where customer_id = $1`,
    [id, ERASED_TEXT],
  );
  await client.query('delete from identities where customer_id = $1', [id]);
  await writeRowChanges(client, customerContactRows, [customerChanged(id)]);
});
