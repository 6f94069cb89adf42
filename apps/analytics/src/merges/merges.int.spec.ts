import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { formatPosition, streamId, type StreamId } from '@clientela/contracts';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { analyticsService } from '../analytics-service';

// Two contacts of one person (a and its duplicate b, b converted from a paid lead) and two other
// customers. Merging b into a must make every analysis count b's purchases as a's; unmerging must give
// back, answer for answer, what each showed before. Events are appended straight to the store, as the
// contacts service appends them (its merge decider is the contacts service's test).
describe('merges in RFM, customer value, loyalty and acquisition', () => {
  let service: TestService;
  let position = '0';
  const http = () => request(service.server);
  const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()].sort();
  const asOf = '1997-12-31';

  const append = async (stream: StreamId, type: string, data: Record<string, unknown>) => {
    position = formatPosition((await service.infra.store.append(stream, [{ type, data }])).position);
  };
  const place = (customerId: string, amount: string, day: string) => {
    const orderId = randomUUID();
    return append(streamId('order'), 'CustomerOrderPlaced', {
      customerId, source: 'shop', sourceEventId: orderId, occurredAt: `${day}T12:00:00Z`, orderId,
      lines: [{ sku: 'cd', quantity: 1, unitPrice: amount }], amount, currency: 'USD',
    });
  };
  const get = async (path: string) => (await http().get(path).set('x-min-position', position).expect(200)).body as unknown;
  const analyses = async () => ({
    rfm: await get(`/api/v1/analytics/rfm?asOf=${asOf}&sort=monetary`),
    rfmOfB: await get(`/api/v1/analytics/rfm?asOf=${asOf}&customer=${b}`),
    model: await get(`/api/v1/analytics/value-model?calibrationEnd=${asOf}`),
    values: await get(`/api/v1/analytics/customer-value?calibrationEnd=${asOf}&sort=netRevenue`),
    loyalty: await get(`/api/v1/analytics/loyalty?asOf=${asOf}&sort=-rollingValue`),
    acquisition: await get(`/api/v1/analytics/acquisition?from=1997-01-01&to=1998-01-01&asOf=${asOf}`),
  });
  const ids = (page: unknown) => (page as { items: Array<{ customerId: string }> }).items.map((i) => i.customerId).sort();

  beforeAll(async () => {
    service = await bootTestService(analyticsService);
    for (const [customer, amount, day] of [
      [a, '10.00', '1997-01-10'], [a, '20.00', '1997-03-10'],
      [b, '30.00', '1997-02-10'], [b, '40.00', '1997-05-10'],
      [c, '15.00', '1997-01-05'], [c, '25.00', '1997-02-05'], [c, '5.00', '1997-06-05'],
      [d, '50.00', '1997-04-01'],
    ] as const) await place(customer, amount, day);
    const leadId = randomUUID();
    const lead = `lead-${leadId}` as StreamId;
    await append(lead, 'LeadCaptured', { leadId, source: 'web', acquisitionCost: { amount: '10.00', currency: 'USD' }, capturedAt: '1997-01-02T09:00:00Z' });
    await append(lead, 'LeadConverted', { leadId, contactId: b, source: 'web', convertedAt: '1997-01-20T09:00:00Z' });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('counts a merged duplicate\'s purchases as its survivor\'s everywhere, and an unmerge gives every answer back', async () => {
    const before = await analyses();
    expect(ids(before.rfm)).toEqual([a, b, c, d].sort());
    expect((before.model as { customers: number }).customers).toBe(4);
    expect(before.acquisition).toMatchObject({ items: [{ key: 'web', customers: 1, revenue: '70.00' }] });

    await append(`contact-${b}` as StreamId, 'ContactMerged', {
      contactId: b, customerId: b, survivorId: a, members: [b], identities: { emails: [], phones: [], externalIds: [] }, mergedAt: '1998-01-05T10:00:00Z',
    });
    const merged = await analyses();
    // a now has b's two purchase days and revenue; b is no customer of its own, and asking for it finds a.
    expect(ids(merged.rfm)).toEqual([a, c, d].sort());
    const rowOfA = (merged.rfm as { items: Array<Record<string, unknown>> }).items.find((i) => i.customerId === a);
    expect(rowOfA).toMatchObject({ frequency: 4, monetary: '100.00', firstPurchaseOn: '1997-01-10', lastPurchaseOn: '1997-05-10', recencyDays: 235 });
    expect(merged.rfmOfB).toEqual({ items: [rowOfA] });
    // The model's cache is keyed by who counts as whom too: a merge without a new order fits again.
    expect((merged.model as { customers: number }).customers).toBe(3);
    expect(ids(merged.values)).toEqual([a, c, d].sort());
    expect((merged.values as { items: Array<{ customerId: string; netRevenue: string }> }).items.find((i) => i.customerId === a)?.netRevenue).toBe('100.00');
    expect(ids(merged.loyalty)).toEqual([a, c, d].sort());
    const valueOfB = (await get(`/api/v1/analytics/customer-value/${b}?calibrationEnd=${asOf}`)) as { historic: { netRevenue: string } };
    expect(valueOfB.historic.netRevenue).toBe('100.00');
    // The lead converted into b brought the whole person: a's revenue and b's.
    expect(merged.acquisition).toMatchObject({ items: [{ key: 'web', customers: 1, revenue: '100.00' }] });

    await append(`contact-${b}` as StreamId, 'ContactUnmerged', { contactId: b, customerId: b, survivorId: a, members: [b], unmergedAt: '1998-01-06T10:00:00Z' });
    expect(await analyses()).toEqual(before);
  });
});
