import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { formatPosition, streamId, type StreamId } from '@clientela/contracts';
import { ERASED_TEXT } from '@clientela/personal-data';
import { readRows } from '@clientela/projections/testing';
import { requestProjectionRebuild, schemaOf } from '@clientela/projections';
import { bootTestService, expectProblem, type TestService } from '@clientela/service-kit/testing';
import { analyticsService } from '../analytics-service';
import { CUSTOMER_DEALS_PROJECTION } from './customer-deals.projection';
import { customerViewStampSql } from './customer-view.sections';

// The single customer view and the timeline over events appended straight to the store, as the
// contacts and sales services append them: a lead converted into contact A, A's won deal (an order),
// an ingested order with a refund, activity, an open deal, and a duplicate B with its own order and
// visit, merged into A, then unmerged. The e2e test drives the same story through the services.
describe('the single customer view and timeline over HTTP', () => {
  let service: TestService;
  let position = '0';
  const http = () => request(service.server);
  const [a, b, lead, campaign, d1, d2, wonOrder, pipeline] = Array.from({ length: 8 }, () => randomUUID());
  const streams: StreamId[] = [];

  const append = async (stream: StreamId, type: string, data: Record<string, unknown>) => {
    if (!streams.includes(stream)) streams.push(stream);
    position = formatPosition((await service.infra.store.append(stream, [{ type, data }])).position);
  };
  const order = async (customerId: string, amount: string, at: string): Promise<StreamId> => {
    const stream = streamId('order');
    const orderId = randomUUID();
    await append(stream, 'CustomerOrderPlaced', { customerId, source: 'shop', sourceEventId: orderId, occurredAt: at, orderId, lines: [{ sku: 'x', quantity: 1, unitPrice: amount }], amount, currency: 'USD' });
    return stream;
  };
  const get = (path: string) => http().get(path).set('x-min-position', position);

  beforeAll(async () => {
    service = await bootTestService(analyticsService);
    const leadStream = `lead-${lead}` as StreamId;
    const [contactA, contactB] = [`contact-${a}`, `contact-${b}`] as StreamId[];
    const cost = { amount: '30.00', currency: 'USD' };
    await append(leadStream, 'LeadCaptured', { leadId: lead, source: 'webinar', campaignId: campaign, acquisitionCost: cost, givenName: 'Ada', email: 'ada@example.com', capturedAt: '2024-01-02T10:00:00Z' });
    await append(leadStream, 'LeadQualificationChanged', { leadId: lead, from: 'new', to: 'qualified', score: 80, changedAt: '2024-01-05T10:00:00Z' });
    await append(contactA, 'ContactRegistered', { contactId: a, customerId: a, givenName: 'Ada', familyName: 'Lovelace', lifecycleStage: 'sql', registeredAt: '2024-01-06T09:00:00Z' });
    await append(leadStream, 'LeadConverted', { leadId: lead, contactId: a, source: 'webinar', campaignId: campaign, acquisitionCost: cost, score: 80, convertedAt: '2024-01-06T09:00:01Z' });
    await append(contactA, 'ContactEmailAdded', { contactId: a, customerId: a, email: 'ada@example.com', primary: true });
    await append(contactA, 'ContactConsentGiven', { contactId: a, customerId: a, channel: 'email', purpose: 'marketing', source: 'form', at: '2024-01-06T09:05:00Z' });
    const deal = { customerId: a, pipelineId: pipeline, probability: 10, currency: 'USD', lines: [] };
    await append(`deal-${d1}` as StreamId, 'DealOpened', { ...deal, dealId: d1, stageId: 'qualify', name: 'Fleet', amount: '500.00', leadId: lead, source: 'webinar', openedAt: '2024-01-07T10:00:00Z' });
    await append(`deal-${d1}` as StreamId, 'DealWon', { dealId: d1, customerId: a, stageId: 'qualify', amount: '500.00', currency: 'USD', orderId: wonOrder, secondsInStage: 5, wonAt: '2024-02-01T10:00:00Z' });
    await append(contactA, 'ContactLifecycleStageChanged', { contactId: a, customerId: a, from: 'sql', to: 'customer', changedAt: '2024-02-01T10:00:01Z' });
    await append(contactB, 'ContactRegistered', { contactId: b, customerId: b, givenName: 'Ada L.', lifecycleStage: 'customer', registeredAt: '2024-02-10T09:00:00Z' });
    await append(contactB, 'ContactPhoneAdded', { contactId: b, customerId: b, phone: '+4915112345678', primary: true });
    await order(b, '50.00', '2024-02-15T12:00:00Z');
    await append(`activity-${b}` as StreamId, 'CustomerWebPageViewed', { customerId: b, source: 'web', sourceEventId: 'v1', occurredAt: '2024-02-16T12:00:00Z', url: 'https://shop.example/x' });
    const ordered = await order(a, '100.00', '2024-03-01T12:00:00Z');
    await append(ordered, 'CustomerOrderRefunded', { customerId: a, source: 'shop', sourceEventId: 'r1', occurredAt: '2024-03-05T12:00:00Z', orderId: 'x', amount: '20.00', currency: 'USD', reason: 'broken' });
    await append(`activity-${a}` as StreamId, 'CustomerEmailOpened', { customerId: a, source: 'mailer', sourceEventId: 'm1', occurredAt: '2024-03-10T12:00:00Z', messageId: 'm1' });
    await append(`deal-${d2}` as StreamId, 'DealOpened', { ...deal, dealId: d2, stageId: 'propose', name: 'Spares', amount: '200.00', openedAt: '2024-03-15T10:00:00Z' });
    await append(contactB, 'ContactMerged', { contactId: b, customerId: b, survivorId: a, members: [b], identities: { emails: [], phones: ['+4915112345678'], externalIds: [] }, mergedAt: '2024-04-01T10:00:00Z' });
    await append(contactA, 'ContactDuplicateAbsorbed', { contactId: a, customerId: a, mergedId: b, members: [b], at: '2024-04-01T10:00:00Z' });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('shows the profile, identities, consents, stage, orders, deals, lead history and last interactions of the customer and its merged duplicate', async () => {
    const answer = await get(`/api/v1/customers/${a}`).expect(200);
    // The statement's JSON text is sent as it is: still JSON to the client.
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    const view = answer.body;
    expect(view).toMatchObject({
      customerId: a,
      mergedContacts: [b],
      profile: { givenName: 'Ada', familyName: 'Lovelace' },
      lifecycleStage: 'customer',
      identities: [
        { kind: 'email', source: null, value: 'ada@example.com' },
        { kind: 'phone', source: null, value: '+4915112345678' },
      ],
      consents: [{ channel: 'email', purpose: 'marketing', granted: true, source: 'form' }],
      // The won deal (500), A's order (100, 20 refunded) and B's (50).
      orders: [{ currency: 'USD', orderCount: 3, gross: '650.00', refunded: '20.00', netRevenue: '630.00' }],
      openDeals: [{ dealId: d2, name: 'Spares', amount: '200.00', stageId: 'propose' }],
      dealCounts: { open: 1, won: 1, lost: 0 },
      leads: [{ leadId: lead, source: 'webinar', campaignId: campaign, status: 'converted', score: 80, acquisitionCost: { amount: '30.00', currency: 'USD' } }],
      scores: { currency: 'USD', segment: null, loyalty: null, historicValue: '630.00' },
      campaignEngagement: [],
      openCases: [],
      satisfaction: null,
    });
    expect(new Date(view.orders[0].firstPurchaseAt).toISOString()).toBe('2024-02-01T10:00:00.000Z');
    expect(new Date(view.orders[0].lastPurchaseAt).toISOString()).toBe('2024-03-01T12:00:00.000Z');
    expect(Object.fromEntries(Object.entries(view.lastInteractions as Record<string, string>).map(([k, v]) => [k, new Date(v).toISOString()]))).toEqual({
      commerce: '2024-03-01T12:00:00.000Z',
      email: '2024-03-10T12:00:00.000Z',
      sales: '2024-03-15T10:00:00.000Z',
      web: '2024-02-16T12:00:00.000Z',
    });
    // The duplicate's id answers with the survivor's view.
    const merged = (await get(`/api/v1/customers/${b}`).expect(200)).body;
    expect(merged).toEqual({ ...view, requestedId: b });
  });

  it('lists every event of the customer, its duplicate and its lead once, in time order, paged, filtered and as CSV', async () => {
    const stored = (await Promise.all(streams.map(async (s) => service.infra.store.readStream(s)))).flat();
    const all: Array<{ eventId: string; occurredAt: string; type: string; channel: string }> = [];
    let cursor: string | undefined;
    do {
      const page = (await get(`/api/v1/customers/${b}/timeline?limit=4${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body;
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.map((e) => e.eventId).sort()).toEqual(stored.map((e) => e.id).sort());
    const times = all.map((e) => e.occurredAt);
    expect(times).toEqual([...times].sort());
    expect(all[0]).toMatchObject({ type: 'LeadCaptured', channel: 'crm' });
    // No personal values in the timeline: the lead's name and email were left out of its payload.
    expect(JSON.stringify(all)).not.toContain('ada@example.com');

    const commerce = (await get(`/api/v1/customers/${a}/timeline?channel=commerce`).expect(200)).body.items;
    expect(commerce.map((e: { type: string }) => e.type)).toEqual(['CustomerOrderPlaced', 'CustomerOrderPlaced', 'CustomerOrderRefunded']);
    const deals = (await get(`/api/v1/customers/${a}/timeline?type=DealWon,DealOpened&sort=-occurredAt`).expect(200)).body.items;
    expect(deals.map((e: { type: string }) => e.type)).toEqual(['DealOpened', 'DealWon', 'DealOpened']);
    const csv = await get(`/api/v1/customers/${a}/timeline?channel=email,web`).set('accept', 'text/csv').expect(200);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('event_id,occurred_at,type,channel,position,data');
    expect(lines.slice(1).map((l) => l.split(',')[2])).toEqual(['CustomerWebPageViewed', 'CustomerEmailOpened']);
  });

  it('gives each contact its own view and timeline back after an unmerge', async () => {
    await append(`contact-${b}` as StreamId, 'ContactUnmerged', { contactId: b, customerId: b, survivorId: a, members: [b], unmergedAt: '2024-05-01T10:00:00Z' });
    await append(`contact-${a}` as StreamId, 'ContactDuplicateReleased', { contactId: a, customerId: a, mergedId: b, members: [b], at: '2024-05-01T10:00:00Z' });
    const own = (await get(`/api/v1/customers/${b}`).expect(200)).body;
    expect(own).toMatchObject({ customerId: b, mergedContacts: [], profile: { givenName: 'Ada L.' }, orders: [{ orderCount: 1, netRevenue: '50.00' }], openDeals: [], leads: [] });
    expect(own.requestedId).toBeUndefined();
    const survivor = (await get(`/api/v1/customers/${a}`).expect(200)).body;
    expect(survivor).toMatchObject({ mergedContacts: [], orders: [{ orderCount: 2, netRevenue: '580.00' }], identities: [{ kind: 'email', value: 'ada@example.com' }] });
    const types = (await get(`/api/v1/customers/${b}/timeline`).expect(200)).body.items.map((e: { type: string }) => e.type);
    expect(types).toEqual(['ContactRegistered', 'CustomerOrderPlaced', 'CustomerWebPageViewed', 'ContactMerged', 'ContactUnmerged', 'ContactPhoneAdded']);
  });

  it('shows the published segment and loyalty tier in the scores and the timeline; a day published again adds nothing', async () => {
    const publish = async (path: string) => {
      const run = await http().post(`/api/v1/analytics/${path}`).set('x-min-position', position).send({ asOf: '2024-04-30' }).expect(200);
      if (run.headers['x-position']) position = run.headers['x-position'] as string;
      return run.body as { changed: number; duplicates: number };
    };
    expect((await publish('segment-changes')).changed).toBe(2);
    // Two customers: too few repeat buyers for the value model, so tiers are published and churn bands are not.
    expect(await publish('loyalty-changes')).toMatchObject({ changed: 2, tierChanges: 2, bandChanges: 0 });
    expect(await publish('loyalty-changes')).toMatchObject({ changed: 0 });
    const view = (await get(`/api/v1/customers/${a}`).expect(200)).body;
    // A: 580.00 over the 12 months, 89 days since its first purchase (2024-02-01): bronze until 90 days.
    expect(view.scores).toMatchObject({ segment: { segment: expect.any(String), asOf: '2024-04-30' }, loyalty: { tier: 'bronze', rollingValue: '580.00', tenureDays: 89, churnBand: null }, historicValue: '580.00' });
    const analytics = (await get(`/api/v1/customers/${a}/timeline?channel=analytics`).expect(200)).body.items;
    expect(analytics.map((e: { type: string }) => e.type).sort()).toEqual(['CustomerLoyaltyTierChanged', 'CustomerSegmentChanged']);
    const list = (await get('/api/v1/analytics/loyalty?asOf=2024-06-30&sort=-rollingValue').expect(200)).body.items;
    expect(list.map((l: { customerId: string; tier: string; rollingValue: string }) => [l.customerId, l.tier, l.rollingValue])).toEqual([
      [a, 'silver', '580.00'],
      [b, 'bronze', '50.00'],
    ]);
  });

  it('counts the lifecycle funnel per month and source, and the leads\' cost, conversion, revenue and return per source and campaign', async () => {
    const funnel = (await get('/api/v1/analytics/funnel?from=2024-01-01&to=2024-03-01&period=month').expect(200)).body.items;
    const reached = (stages: Array<{ reached: number }>) => stages.map((s) => s.reached);
    expect(funnel).toMatchObject([
      // A registered in January from the webinar lead, at sql, later a customer (stages before count as passed).
      { period: '2024-01-01', source: 'webinar', contacts: 1, churned: 0 },
      { period: '2024-02-01', source: 'direct', contacts: 1, churned: 0 },
    ]);
    expect(reached(funnel[0].stages)).toEqual([1, 1, 1, 1, 1, 1, 0]);
    expect(funnel[0].stages[6]).toEqual({ stage: 'evangelist', reached: 0, conversion: '0.0000' });
    const funnelCsv = await get('/api/v1/analytics/funnel?from=2024-01-01&to=2024-03-01&source=direct').set('accept', 'text/csv').expect(200);
    expect(funnelCsv.text.trim().split('\r\n')).toEqual(['period,source,contacts,subscriber,lead,mql,sql,opportunity,customer,evangelist,churned', '2024-02-01,direct,1,1,1,1,1,1,1,0,0']);
    const bySource = (await get('/api/v1/analytics/acquisition?from=2024-01-01&to=2024-02-01&asOf=2024-12-31').expect(200)).body.items;
    expect(bySource).toEqual([{ key: 'webinar', leads: 1, qualified: 1, converted: 1, customers: 1, cost: '30.00', costPerLead: '30', leadToCustomer: '1.0000', revenue: '580.00', roi: '18.3333' }]);
    const byCampaign = await get('/api/v1/analytics/acquisition?from=2024-01-01&to=2024-02-01&by=campaign').set('accept', 'text/csv').expect(200);
    expect(byCampaign.text.trim().split('\r\n')).toEqual(['campaign,leads,qualified,converted,customers,cost,cost_per_lead,lead_to_customer,revenue,roi', `${campaign},1,1,1,1,30.00,30,1.0000,580.00,18.3333`]);
    expectProblem(await get('/api/v1/analytics/funnel?from=2024-03-01&to=2024-01-01'), 400);
    expectProblem(await get('/api/v1/analytics/acquisition?from=2024-01-01&to=2024-02-01&by=channel'), 400);
  });

  it('rebuilds every analytics projection from position 0 while the view is read, into copies equal row by row to the live ones', async () => {
    const projections = analyticsService.projections ?? [];
    const snapshot = async () => Object.fromEntries(await Promise.all(projections.flatMap((p) => Object.keys(p.tables).map(async (t) => [`${p.name}.${t}`, await readRows(service.infra.pool, p, t)]))));
    const live = await snapshot();
    const before = (await get(`/api/v1/customers/${a}`).expect(200)).body;
    const oids = async () => (await service.infra.pool.query<{ oid: string }>(`select string_agg(oid::text, ',' order by nspname) as oid from pg_namespace where nspname = any($1)`, [projections.map((p) => schemaOf(p))])).rows[0].oid;
    const liveSchemas = await oids();
    // A held answer is not trusted across a swap: the copy may differ in rows whose change counters came out the same.
    const stamp = async () => (await service.infra.pool.query<{ stamp: string }>(customerViewStampSql, [a])).rows[0].stamp;
    const stampBefore = await stamp();
    for (const p of projections) expect(await requestProjectionRebuild(service.infra.pool, p.name)).toBe(true);
    // A requested rebuild that fails keeps its request (the runner's next start tries again): its error ends the wait.
    const rebuilding = async () => {
      const { rows } = await service.infra.pool.query<{ n: number; failed: string | null }>(
        `select count(*) filter (where rebuild_requested_at is not null)::int as n,
                string_agg(name || ': ' || last_error, '; ') filter (where last_error like 'rebuild failed%') as failed
           from projections.state`,
      );
      if (rows[0].failed) throw new Error(rows[0].failed);
      return rows[0].n > 0;
    };
    let reads = 0;
    const started = Date.now();
    while (await rebuilding()) {
      expect((await http().get(`/api/v1/customers/${a}`).expect(200)).body).toEqual(before);
      reads += 1;
      if (Date.now() - started > 120_000) throw new Error('the rebuilds did not end in 120 s');
    }
    expect(reads).toBeGreaterThan(0);
    expect(await oids()).not.toBe(liveSchemas);
    expect(await snapshot()).toEqual(live);
    // Every copy swapped once more; the same counters.
    const [generationsBefore, countersBefore] = stampBefore.split('|');
    const [generationsAfter, countersAfter] = (await stamp()).split('|');
    expect(generationsAfter.split('.').map(Number)).toEqual(generationsBefore.split('.').map((g) => Number(g) + 1));
    expect(countersAfter).toBe(countersBefore);
  });

  it('answers a conditional request with 304 while the answer the client holds is still the one', async () => {
    const first = await get(`/api/v1/customers/${a}`).expect(200);
    const tag = first.headers.etag as string;
    expect(tag).toMatch(/^W\/"[\w-]+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const conditional = (path: string, ifNoneMatch: string) => get(path).set('if-none-match', ifNoneMatch);
    const unchanged = await conditional(`/api/v1/customers/${a}`, `"other", ${tag}`).expect(304);
    expect([unchanged.text, unchanged.headers.etag]).toEqual(['', tag]);
    // The strong form of the same tag matches too (weak comparison), and * while the customer is known.
    await conditional(`/api/v1/customers/${a}`, tag.slice(2)).expect(304);
    await conditional(`/api/v1/customers/${a}`, '*').expect(304);
    expectProblem(await conditional(`/api/v1/customers/${randomUUID()}`, '*'), 404);
    // Another currency or the duplicate's id is another answer, with another tag.
    expect((await conditional(`/api/v1/customers/${a}?currency=EUR`, tag).expect(200)).headers.etag).not.toBe(tag);
    expect((await conditional(`/api/v1/customers/${b}`, tag).expect(200)).headers.etag).not.toBe(tag);
    // An event of the customer: the held tag is stale.
    await append(`activity-${a}` as StreamId, 'CustomerWebPageViewed', { customerId: a, source: 'web', sourceEventId: 'v-etag', occurredAt: '2024-06-10T12:00:00Z', url: 'https://shop.example/y' });
    const changed = await conditional(`/api/v1/customers/${a}`, tag).expect(200);
    expect(changed.headers.etag).not.toBe(tag);
    expect(changed.body.lastInteractions.web).toMatch(/^2024-06-10/);
  });

  it('shows an erasure at once, although the answer before it was held', async () => {
    const c = randomUUID();
    const contact = `contact-${c}` as StreamId;
    await append(contact, 'ContactRegistered', { contactId: c, customerId: c, givenName: 'Grace', familyName: 'Hopper', lifecycleStage: 'lead', registeredAt: '2024-06-01T09:00:00Z' });
    await append(contact, 'ContactEmailAdded', { contactId: c, customerId: c, email: 'grace@example.com', primary: true });
    // Asked twice: the second answer is the held one.
    for (let i = 0; i < 2; i++) {
      expect((await get(`/api/v1/customers/${c}`).expect(200)).body).toMatchObject({ profile: { givenName: 'Grace', familyName: 'Hopper' }, identities: [{ kind: 'email', value: 'grace@example.com' }] });
    }
    await append(contact, 'ContactErased', { contactId: c, customerId: c, group: [c], leadIds: [], erasedAt: '2024-06-02T09:00:00Z' });
    const erased = await get(`/api/v1/customers/${c}`).expect(200);
    expect(erased.body).toMatchObject({ profile: { givenName: ERASED_TEXT, familyName: ERASED_TEXT, lifecycleStage: 'lead' }, identities: [] });
    expect(erased.text).not.toMatch(/Grace|Hopper|grace@example/);
  });

  it('answers a held view without reading the database while this process wrote nothing, and reads again once it has', async () => {
    const c = randomUUID();
    await append(`contact-${c}` as StreamId, 'ContactRegistered', { contactId: c, customerId: c, givenName: 'Katherine', lifecycleStage: 'lead', registeredAt: '2024-07-01T09:00:00Z' });
    const first = await get(`/api/v1/customers/${c}`).expect(200);
    // Without X-Min-Position: a read that did not wait for its writes.
    const plain = () => http().get(`/api/v1/customers/${c}`);
    // With a counters table gone, reading the stamp would fail and the answer come untagged: it comes as held.
    const counters = `${schemaOf({ name: CUSTOMER_DEALS_PROJECTION })}.customer_changes`;
    await service.infra.pool.query(`alter table ${counters} rename to customer_changes_elsewhere`);
    try {
      const held = await plain().expect(200);
      expect([held.body, held.headers.etag]).toEqual([first.body, first.headers.etag]);
    } finally {
      await service.infra.pool.query(`alter table ${counters}_elsewhere rename to customer_changes`);
    }
    // A transaction of one of the view's projections here: the next read asks the database again.
    await append(`activity-${c}` as StreamId, 'CustomerWebPageViewed', { customerId: c, source: 'web', sourceEventId: 'v-local', occurredAt: '2024-07-02T12:00:00Z', url: 'https://shop.example/z' });
    await get(`/api/v1/customers/${c}/timeline`).expect(200); // waits for the projections
    const after = await plain().expect(200);
    expect(after.body.lastInteractions.web).toMatch(/^2024-07-02/);
    expect(after.headers.etag).not.toBe(first.headers.etag);
  });

  it('answers, without a tag, while a copy it reads predates the change counters (an upgrade\'s rebuild)', async () => {
    const held = await get(`/api/v1/customers/${a}`).expect(200);
    const counters = `${schemaOf({ name: CUSTOMER_DEALS_PROJECTION })}.customer_changes`;
    // The old copy of a projection whose new version is being rebuilt has no counters table.
    await service.infra.pool.query(`alter table ${counters} rename to customer_changes_elsewhere`);
    try {
      const answered = await get(`/api/v1/customers/${a}`).expect(200);
      expect([answered.body, answered.headers.etag]).toEqual([held.body, undefined]);
      expectProblem(await get(`/api/v1/customers/${randomUUID()}`), 404);
    } finally {
      await service.infra.pool.query(`alter table ${counters}_elsewhere rename to customer_changes`);
    }
    expect((await get(`/api/v1/customers/${a}`).expect(200)).headers.etag).toBe(held.headers.etag);
  });

  it('answers 404 for an id nobody has seen and 400 for bad input', async () => {
    expectProblem(await get(`/api/v1/customers/${randomUUID()}`), 404);
    expectProblem(await get('/api/v1/customers/not-a-uuid'), 400);
    expectProblem(await get(`/api/v1/customers/${a}/timeline?channel=fax`), 400);
    expectProblem(await get(`/api/v1/customers/${a}/timeline?type=drop%20table`), 400);
    expectProblem(await get(`/api/v1/customers/${a}/timeline?cursor=nonsense`), 400);
    expectProblem(await get(`/api/v1/customers/${a}?currency=dollars`), 400);
  });
});
