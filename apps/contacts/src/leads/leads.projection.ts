import { type LeadEvent, type RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';
import { ERASED_TEXT } from '@clientela/personal-data';
import { scrubbedOnErasure } from '@clientela/service-kit';

/**
 * The leads read model: one row per lead, and beside it what leads cost, summed per source, campaign
 * and currency as they are captured, so cost per lead is a read of a few rows, not a scan of leads.
 */
export const LEADS_PROJECTION = 'leads';

/** In `lead_costs`, no campaign and no cost are '' (key columns cannot be null); reads turn them back into null. */
export const NONE = '';

const tables = {
  leads: {
    columns: {
      id: 'uuid',
      source: 'text',
      campaign_id: 'uuid',
      cost_amount: 'numeric',
      cost_currency: 'text',
      given_name: 'text',
      family_name: 'text',
      email: 'text',
      phone: 'text',
      company_name: 'text',
      status: 'text',
      score: 'integer',
      status_reason: 'text',
      contact_id: 'uuid',
      account_id: 'uuid',
      captured_at: 'timestamptz',
      converted_at: 'timestamptz',
      updated_at: 'timestamptz',
      revision: { type: 'bigint', default: '0' },
    },
    primaryKey: ['id'],
    indexes: [['captured_at'], ['source'], ['status'], ['campaign_id'], ['updated_at']],
  },
  lead_costs: {
    columns: {
      source: 'text',
      campaign: 'text',
      currency: 'text',
      leads: { type: 'bigint', default: '0' },
      cost: { type: 'numeric', default: '0' },
    },
    primaryKey: ['source', 'campaign', 'currency'],
    // A few rows, each updated by every lead captured.
    fillfactor: 70,
  },
} as const;

const changesOf = (event: LeadEvent, revision: number, recordedAt: string): RowChange[] => {
  const key = { id: event.data.leadId };
  const touched: RowChange = { table: 'leads', key, max: { revision, updated_at: recordedAt } };
  switch (event.type) {
    case 'LeadCaptured': {
      const d = event.data;
      return [
        {
          table: 'leads',
          key,
          set: {
            source: d.source,
            campaign_id: d.campaignId ?? null,
            cost_amount: d.acquisitionCost?.amount ?? null,
            cost_currency: d.acquisitionCost?.currency ?? null,
            given_name: d.givenName ?? null,
            family_name: d.familyName ?? null,
            email: d.email ?? null,
            phone: d.phone ?? null,
            company_name: d.companyName ?? null,
            status: 'new',
            captured_at: d.capturedAt,
          },
        },
        touched,
        {
          table: 'lead_costs',
          key: { source: d.source, campaign: d.campaignId ?? NONE, currency: d.acquisitionCost?.currency ?? NONE },
          add: { leads: 1, cost: d.acquisitionCost?.amount ?? '0' },
        },
      ];
    }
    case 'LeadProfileChanged': {
      const d = event.data;
      const set: Record<string, string | null> = {};
      if (d.givenName !== undefined) set.given_name = d.givenName;
      if (d.familyName !== undefined) set.family_name = d.familyName;
      if (d.email !== undefined) set.email = d.email;
      if (d.phone !== undefined) set.phone = d.phone;
      if (d.companyName !== undefined) set.company_name = d.companyName;
      return [{ table: 'leads', key, set }, touched];
    }
    case 'LeadQualificationChanged': {
      const d = event.data;
      return [{ table: 'leads', key, set: { status: d.to, status_reason: d.reason ?? null, ...(d.score !== undefined ? { score: d.score } : {}) } }, touched];
    }
    case 'LeadConverted': {
      const d = event.data;
      return [{ table: 'leads', key, set: { status: 'converted', contact_id: d.contactId, account_id: d.accountId ?? null, converted_at: d.convertedAt } }, touched];
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

const leadRows = defineProjection<RowProjection<typeof tables>>({
  name: LEADS_PROJECTION,
  // 2: lead_costs, for cost per lead. 3: scrubbed on ContactErased.
  version: 3,
  categories: ['lead'],
  eventTypes: ['LeadCaptured', 'LeadProfileChanged', 'LeadQualificationChanged', 'LeadConverted'],
  tables,
  project: (event: RecordedEvent): RowChange[] =>
    changesOf(event as unknown as LeadEvent, event.revision, event.recordedAt instanceof Date ? event.recordedAt.toISOString() : String(event.recordedAt)),
});

const personalColumns = ['given_name', 'family_name', 'email', 'phone', 'status_reason'].map((c) => `${c} = case when ${c} is null then null else $3 end`).join(', ');

/** The leads converted into an erased contact keep their row (source, cost, status, dates) with their personal values read as erased. */
export const leadsProjection = scrubbedOnErasure(leadRows, async (event, { client }) => {
  await client.query(`update leads set ${personalColumns} where contact_id = $1 or id = any($2::uuid[])`, [event.data.contactId, event.data.leadIds, ERASED_TEXT]);
});
