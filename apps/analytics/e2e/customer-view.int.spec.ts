import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { waitFor } from '@clientela/messaging/src/testing/wait-for';
import { createTestDatabase, freePort, freePortRange, type TestDatabase } from '@clientela/testing';
import { SERVICES, startPlatformProcess, type PlatformProcess } from '@clientela/launcher';

// Done when (issue 11): the single customer view of a customer with a lead history, a won deal,
// ingested orders and a refund, merged with a duplicate, shows all of it, and the timeline lists every
// event once in order. The platform as `npm start` runs it (standalone), driven only through the gateway.
const ADMIN_KEY = 'e2e-customer-view-admin-key-0123456789abcdefghij';

describe('the single customer view through the gateway', () => {
  let database: TestDatabase;
  let pool: Pool;
  let platform: PlatformProcess | undefined;
  let base: string;
  let position = '0';

  beforeAll(async () => {
    database = await createTestDatabase('clientela_customer_view_e2e');
    pool = database.pool({ max: 1 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}/api/v1`;
    platform = await startPlatformProcess({
      DATABASE_URL: database.url,
      PORT: String(port),
      CLIENTELA_SERVICE_PORT_BASE: String((await freePortRange(SERVICES.length)) - 1),
      ADMIN_API_KEY: ADMIN_KEY,
    });
  });

  afterAll(async () => {
    if (platform) expect(await platform.stop()).toBe(0);
    await database?.drop();
  });

  /** A call through the gateway; every write's position is kept, so reads wait for all of them. */
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & { items?: Array<Record<string, unknown>> } }> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, 'x-min-position': position, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const written = response.headers.get('x-position');
    if (written && BigInt(written) > BigInt(position)) position = written;
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {} };
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const answer = await call(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const order = (email: string, id: string, amount: number, at: string) => ({
    id: `order-${id}`,
    type: 'OrderPlaced',
    occurredAt: at,
    source: 'shop',
    customer: { email },
    data: { orderId: id, lines: [{ sku: 'A-1', quantity: 1, unitPrice: amount }], amount, currency: 'USD' },
  });

  it('shows the lead history, the won deal, the orders and refund of the customer and its merged duplicate, and lists each of their events once in time order', async () => {
    // The shop knows the person first: ingest makes a contact of the email (the duplicate-to-be).
    const ingested = await ok('POST', '/events', [
      order('ada@lovelace.dev', 'o-1', 100, '2024-03-01T12:00:00Z'),
      { id: 'refund-o-1', type: 'OrderRefunded', occurredAt: '2024-03-05T12:00:00Z', source: 'shop', customer: { email: 'ada@lovelace.dev' }, data: { orderId: 'o-1', amount: 20, currency: 'USD' } },
      order('ada@lovelace.dev', 'o-2', 50, '2024-03-08T12:00:00Z'),
      { id: 'open-1', type: 'EmailOpened', occurredAt: '2024-03-10T12:00:00Z', source: 'mailer', customer: { email: 'ada@lovelace.dev' }, data: { messageId: 'm-1' } },
    ]);
    expect(ingested.rejected).toBe(0);
    const duplicate = (ingested.results as Array<{ contactId: string }>)[0].contactId;
    // Marketing captures her as a lead, qualifies and converts it: another contact, with a deal the sales service opens by itself.
    const campaign = randomUUID();
    const lead = (await ok('POST', '/leads', { source: 'webinar', campaignId: campaign, acquisitionCost: { amount: '30.00', currency: 'USD' }, givenName: 'Ada', email: 'ada@lovelace.dev' })).id as string;
    await ok('PUT', `/leads/${lead}/qualification`, { status: 'qualified', score: 80 });
    const customer = (await ok('POST', `/leads/${lead}/convert`, {})).contactId as string;
    let deal = '';
    await waitFor(async () => {
      deal = ((await ok('GET', `/deals?customer=${customer}`)).items?.[0]?.id as string | undefined) ?? '';
      return deal !== '';
    }, async () => 'the converted lead\'s deal', 60_000);
    await ok('PATCH', `/deals/${deal}`, { currency: 'USD', lines: [{ productId: 'fleet', quantity: 1, unitPrice: '500.00' }] });
    await ok('POST', `/deals/${deal}/win`, {});
    // The same person twice: the shop's contact is merged into the converted lead's.
    await ok('POST', `/contacts/${customer}/merge`, { duplicateId: duplicate });

    const view = await ok('GET', `/customers/${customer}`);
    expect(view).toMatchObject({
      customerId: customer,
      mergedContacts: [duplicate],
      profile: { givenName: 'Ada' },
      identities: expect.arrayContaining([{ kind: 'email', source: null, value: 'ada@lovelace.dev' }]),
      // The won deal's order (500), and the duplicate's ingested 100 (less its 20 refund) and 50.
      orders: [{ currency: 'USD', orderCount: 3, gross: '650.00', refunded: '20', netRevenue: '630.00' }],
      dealCounts: { open: 0, won: 1, lost: 0 },
      leads: [{ leadId: lead, source: 'webinar', campaignId: campaign, status: 'converted', score: 80, acquisitionCost: { amount: '30.00', currency: 'USD' } }],
      lastInteractions: { email: expect.any(String), commerce: expect.any(String), sales: expect.any(String) },
      scores: { historicValue: '630.00' },
    });
    // The duplicate's id answers with the survivor's view.
    expect(await ok('GET', `/customers/${duplicate}`)).toEqual({ ...view, requestedId: duplicate });
    // A client that holds the answer revalidates it: 304, no body, through the gateway.
    const conditional = (tag: string) => fetch(`${base}/customers/${customer}`, { headers: { 'x-api-key': ADMIN_KEY, 'if-none-match': tag } });
    const tag = (await conditional('W/"none"')).headers.get('etag');
    expect(tag).toMatch(/^W\/"[\w-]+"$/);
    const unchanged = await conditional(tag!);
    expect([unchanged.status, await unchanged.text(), unchanged.headers.get('etag')]).toEqual([304, '', tag]);

    const timeline: Array<{ eventId: string; type: string; occurredAt: string }> = [];
    let cursor: unknown;
    do {
      const page = await ok('GET', `/customers/${duplicate}/timeline?limit=5${cursor ? `&cursor=${String(cursor)}` : ''}`);
      timeline.push(...(page.items as typeof timeline));
      cursor = page.nextCursor;
    } while (cursor);
    // Every event of the two contacts and of the lead, in every context the view reads, from the store itself.
    const { rows } = await pool.query<{ id: string }>(
      `select event_id::text as id from event_store.events
        where category in ('contact', 'lead', 'activity', 'deal', 'order')
          and (data->>'customerId' in ($1, $2) or data->>'leadId' = $3)`,
      [customer, duplicate, lead],
    );
    expect(timeline.map((e) => e.eventId).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(new Set(timeline.map((e) => e.eventId)).size).toBe(timeline.length);
    const times = timeline.map((e) => Date.parse(e.occurredAt));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['LeadCaptured', 'LeadQualificationChanged', 'LeadConverted', 'DealOpened', 'DealWon', 'CustomerOrderPlaced', 'CustomerOrderRefunded', 'CustomerEmailOpened', 'ContactMerged']));
  });
});
