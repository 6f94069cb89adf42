import { projectionSpec } from '@clientela/projections/testing';
import { customerContactRows } from './customer-contacts.projection';

const [a, b, c] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c'];
const identities = { emails: [], phones: [], externalIds: [] };

describe('the contacts part of the customer view', () => {
  it('clears a profile field that a change sets to null and leaves the fields it does not name', () =>
    projectionSpec(customerContactRows)
      .given([
        { type: 'ContactRegistered', data: { contactId: a, customerId: a, givenName: 'Ada', familyName: 'Lovelace', language: 'en', address: { city: 'London' }, lifecycleStage: 'lead', registeredAt: '2024-01-01T00:00:00Z' } },
        { type: 'ContactProfileChanged', data: { contactId: a, customerId: a, familyName: null, address: null, changedAt: '2024-01-02T00:00:00Z' } },
      ])
      .thenRows({
        profiles: [expect.objectContaining({ customer_id: a, given_name: 'Ada', family_name: null, language: 'en', address: null, lifecycle_stage: 'lead', updated_at: '2024-01-02T00:00:00Z' })],
        stages: [{ customer_id: a, stage: 'lead', entered_at: '2024-01-01T00:00:00.000Z' }],
      }));

  it('maps a chain of merges to the last survivor, and an unmerge from its end gives the first one back to the middle', () =>
    projectionSpec(customerContactRows)
      .given([
        { type: 'ContactMerged', data: { contactId: a, customerId: a, survivorId: b, members: [a], identities, mergedAt: '2024-01-01T00:00:00Z' } },
        { type: 'ContactMerged', data: { contactId: b, customerId: b, survivorId: c, members: [b, a], identities, mergedAt: '2024-01-02T00:00:00Z' } },
        { type: 'ContactUnmerged', data: { contactId: b, customerId: b, survivorId: c, members: [b, a], unmergedAt: '2024-01-03T00:00:00Z' } },
      ])
      .thenRows({
        members: [{ contact_id: a, survivor_id: b }],
        // Each merge and unmerge changes the view of the survivor and of every member (a merged id answers with its
        // survivor's), beside the contact whose event it is.
        customer_changes: [
          { customer_id: a, changes: 4 },
          { customer_id: b, changes: 5 },
          { customer_id: c, changes: 2 },
        ],
      }));

  it('keeps a lead\'s acquisition facts, not its personal values, and links it to the contact it became', () =>
    projectionSpec(customerContactRows)
      .given([
        { type: 'LeadCaptured', data: { leadId: c, source: 'webinar', acquisitionCost: { amount: '12.5', currency: 'EUR' }, givenName: 'Ada', email: 'ada@example.com', capturedAt: '2024-01-01T00:00:00Z' } },
        { type: 'LeadConverted', data: { leadId: c, contactId: a, source: 'webinar', convertedAt: '2024-01-05T00:00:00Z' } },
      ])
      .thenRows({
        leads: [{ lead_id: c, customer_id: a, source: 'webinar', campaign_id: null, cost_amount: '12.5', cost_currency: 'EUR', status: 'converted', score: null, captured_at: '2024-01-01T00:00:00Z', converted_at: '2024-01-05T00:00:00Z' }],
        // Rows sort by event id, which is random: either order.
        timeline: expect.arrayContaining([
          expect.objectContaining({ lead_id: c, customer_id: null, type: 'LeadCaptured', data: JSON.stringify({ leadId: c, source: 'webinar', acquisitionCost: { amount: '12.5', currency: 'EUR' }, capturedAt: '2024-01-01T00:00:00Z' }) }),
          expect.objectContaining({ lead_id: c, customer_id: a, type: 'LeadConverted' }),
        ]) as unknown as Array<Record<string, unknown>>,
        // Only the conversion shows in a customer's view.
        customer_changes: [{ customer_id: a, changes: 1 }],
      }));
});
