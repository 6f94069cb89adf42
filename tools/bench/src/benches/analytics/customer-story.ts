import { randomUUID } from 'node:crypto';
import type { StreamAppend } from '@clientela/event-store';

/**
 * One customer with something in every section of the view: a lead converted into the contact,
 * profile, email, consent, a won deal and an open one, ingested orders with a refund, activity.
 * The bench serves this customer's view under load.
 */
export const customerStory = (): { customerId: string; appends: StreamAppend[] } => {
  const [customerId, lead, won, open] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const contact = `contact-${customerId}`;
  const deal = { customerId, pipelineId: randomUUID(), probability: 10, currency: 'USD', lines: [] };
  const order = (id: string, amount: string, at: string) => ({
    streamId: `order-${randomUUID()}`,
    events: [{ type: 'CustomerOrderPlaced', data: { customerId, source: 'shop', sourceEventId: id, occurredAt: at, orderId: id, lines: [{ sku: 'x', quantity: 1, unitPrice: amount }], amount, currency: 'USD' } }],
  });
  const placed = order('story-1', '100.00', '1998-03-01T12:00:00Z');
  placed.events.push({ type: 'CustomerOrderRefunded', data: { customerId, source: 'shop', sourceEventId: 'story-r1', occurredAt: '1998-03-05T12:00:00Z', orderId: 'story-1', amount: '20.00', currency: 'USD' } as never });
  const appends = [
    { streamId: `lead-${lead}`, events: [
      { type: 'LeadCaptured', data: { leadId: lead, source: 'webinar', acquisitionCost: { amount: '30.00', currency: 'USD' }, capturedAt: '1997-12-01T10:00:00Z' } },
      { type: 'LeadQualificationChanged', data: { leadId: lead, from: 'new', to: 'qualified', score: 80, changedAt: '1997-12-02T10:00:00Z' } },
      { type: 'LeadConverted', data: { leadId: lead, contactId: customerId, source: 'webinar', convertedAt: '1997-12-03T10:00:00Z' } },
    ] },
    { streamId: contact, events: [
      { type: 'ContactRegistered', data: { contactId: customerId, customerId, givenName: 'Ada', familyName: 'Lovelace', language: 'en', lifecycleStage: 'customer', registeredAt: '1997-12-03T10:00:00Z' } },
      { type: 'ContactEmailAdded', data: { contactId: customerId, customerId, email: 'ada@lovelace.dev', primary: true } },
      { type: 'ContactConsentGiven', data: { contactId: customerId, customerId, channel: 'email', purpose: 'marketing', source: 'form', at: '1997-12-03T10:00:00Z' } },
    ] },
    { streamId: `deal-${won}`, events: [
      { type: 'DealOpened', data: { ...deal, dealId: won, stageId: 'qualify', name: 'Fleet', amount: '500.00', openedAt: '1997-12-04T10:00:00Z' } },
      { type: 'DealWon', data: { dealId: won, customerId, stageId: 'qualify', amount: '500.00', currency: 'USD', orderId: randomUUID(), secondsInStage: 5, wonAt: '1998-01-10T10:00:00Z' } },
    ] },
    { streamId: `deal-${open}`, events: [{ type: 'DealOpened', data: { ...deal, dealId: open, stageId: 'propose', name: 'Spares', amount: '200.00', openedAt: '1998-04-01T10:00:00Z' } }] },
    placed,
    order('story-2', '50.00', '1998-05-01T12:00:00Z'),
    { streamId: `activity-${customerId}`, events: [{ type: 'CustomerEmailOpened', data: { customerId, source: 'mailer', sourceEventId: 'story-m1', occurredAt: '1998-05-10T12:00:00Z', messageId: 'm1' } }] },
  ];
  return { customerId, appends: appends.map((a) => ({ ...a, expectedRevision: 'no_stream' })) as StreamAppend[] };
};
