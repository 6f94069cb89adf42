import request from 'supertest';
import { streamId } from '@clientela/contracts';
import { Aggregates } from '@clientela/service-kit';
import { bootTestService, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';
import { conversionIdsOf } from './lead-conversion';
import { leadsDecider } from './leads.decider';

// Every lead route, through HTTP, on a fresh database, in both bus modes. Reads after writes send
// X-Min-Position, as clients do; a conversion's position covers the contact and account it registers.
describe.each<TestBus>(['standalone', 'kafka'])('leads over HTTP (%s)', (bus) => {
  let service: TestService;
  beforeAll(async () => {
    service = await bootTestService(contactsService, { bus });
  });
  afterAll(async () => {
    await service?.close();
  });

  const campaignId = '8e1d2c3b-4a5f-4e6d-9c8b-7a6f5e4d3c2b';
  const http = () => request(service.server);
  const capture = (body: object, headers: Record<string, string> = {}) => http().post('/api/v1/leads').set(headers).send(body);
  const read = (id: string, position: string) => http().get(`/api/v1/leads/${id}`).set('x-min-position', position);
  const qualify = (id: string, body: object) => http().put(`/api/v1/leads/${id}/qualification`).send(body);
  const eventCount = async () => Number((await service.infra.pool.query('select count(*) from event_store.events')).rows[0].count);
  const streamEvents = async (stream: string) => Number((await service.infra.pool.query('select count(*) from event_store.events where stream_id = $1', [stream])).rows[0].count);
  const nothingConverted = async (leadId: string) => {
    const { contactId, accountId } = conversionIdsOf(leadId);
    expect(await streamEvents(`contact-${contactId}`)).toBe(0);
    expect(await streamEvents(`account-${accountId}`)).toBe(0);
  };
  const qualified = async (body: object) => {
    const lead = await capture(body).expect(201);
    await qualify(lead.body.id, { status: 'qualified', score: 70 }).expect(200);
    return lead.body.id as string;
  };

  it('captures a lead and reads it back with X-Min-Position', async () => {
    const created = await capture({
      source: 'Webinar',
      campaignId,
      acquisitionCost: { amount: '12.50', currency: 'eur' },
      givenName: 'Ada',
      familyName: 'Lovelace',
      email: 'Ada@Example.com',
      phone: '+4915112345678',
      companyName: 'Analytical Engines',
    }).expect(201);
    expect(created.headers.etag).toBe(`"${created.body.revision}"`);
    expect(created.headers.location).toBe(`/api/v1/leads/${created.body.id}`);
    const got = await read(created.body.id, created.headers['x-position']).expect(200);
    expect(got.headers.etag).toBe(created.headers.etag);
    expect(got.body).toMatchObject({
      source: 'webinar',
      campaignId,
      acquisitionCost: { amount: '12.50', currency: 'EUR' },
      givenName: 'Ada',
      email: 'ada@example.com',
      companyName: 'Analytical Engines',
      status: 'new',
      score: null,
      contactId: null,
      accountId: null,
    });
  });

  it('answers a retried capture with the same Idempotency-Key with the first answer, appending nothing', async () => {
    const first = await capture({ source: 'webinar', givenName: 'Retry' }, { 'idempotency-key': 'lead-retry-1' }).expect(201);
    const before = await eventCount();
    const second = await capture({ source: 'webinar', givenName: 'Retry' }, { 'idempotency-key': 'lead-retry-1' }).expect(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotency-replayed']).toBe('true');
    expect(await eventCount()).toBe(before);
  });

  it('changes a lead, refusing a stale If-Match with 412', async () => {
    const created = await capture({ source: 'webinar', email: 'grace@example.com' }).expect(201);
    const id = created.body.id;
    const changed = await http().patch(`/api/v1/leads/${id}`).set('if-match', created.headers.etag).send({ givenName: 'Grace', companyName: 'Navy' }).expect(200);
    expect(changed.body.revision).toBeGreaterThan(created.body.revision);
    const stale = await http().patch(`/api/v1/leads/${id}`).set('if-match', created.headers.etag).send({ givenName: 'Stale' }).expect(412);
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(stale.body).toMatchObject({ status: 412, expectedRevision: created.body.revision, actualRevision: changed.body.revision });
    const anonymous = await http().patch(`/api/v1/leads/${id}`).send({ email: null, givenName: null }).expect(422);
    expect(anonymous.body).toMatchObject({ rule: 'lead_needs_identifier' });
    const got = await read(id, changed.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({ givenName: 'Grace', email: 'grace@example.com', companyName: 'Navy' });
  });

  it('qualifies a lead: working, then disqualified with a reason, and refuses disqualifying without one', async () => {
    const created = await capture({ source: 'trade-show', givenName: 'Kim' }).expect(201);
    const id = created.body.id;
    await qualify(id, { status: 'working', score: 20 }).expect(200);
    const reasonless = await qualify(id, { status: 'disqualified' }).expect(422);
    expect(reasonless.body).toMatchObject({ rule: 'disqualification_needs_reason' });
    const out = await qualify(id, { status: 'disqualified', reason: 'no budget' }).expect(200);
    const got = await read(id, out.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({ status: 'disqualified', score: 20, statusReason: 'no budget' });
    const refused = await http().post(`/api/v1/leads/${id}/convert`).send({}).expect(422);
    expect(refused.body).toMatchObject({ rule: 'lead_disqualified' });
    await nothingConverted(id);
  });

  it('refuses to convert a lead that is not qualified', async () => {
    const created = await capture({ source: 'webinar', givenName: 'Early', companyName: 'Early Inc' }).expect(201);
    const refused = await http().post(`/api/v1/leads/${created.body.id}/convert`).send({}).expect(422);
    expect(refused.body).toMatchObject({ status: 422, rule: 'lead_not_qualified' });
    await qualify(created.body.id, { status: 'working' }).expect(200);
    await http().post(`/api/v1/leads/${created.body.id}/convert`).send({}).expect(422);
    await nothingConverted(created.body.id);
  });

  it('converts a qualified lead into a contact and an account, once, however often it is retried', async () => {
    const owner = '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01';
    const id = await qualified({ source: 'webinar', campaignId, givenName: 'Ada', familyName: 'Lovelace', email: 'ada@engines.example', phone: '+4915112345679', companyName: 'Analytical Engines' });
    const converted = await http().post(`/api/v1/leads/${id}/convert`).set('idempotency-key', `convert-${id}`).send({ ownerId: owner }).expect(200);
    const { contactId, accountId } = converted.body;
    expect({ contactId, accountId }).toEqual(conversionIdsOf(id));
    expect(converted.headers.etag).toBe(`"${converted.body.revision}"`);
    const afterFirst = await eventCount();
    expect(await streamEvents(`contact-${contactId}`)).toBe(3);
    expect(await streamEvents(`account-${accountId}`)).toBe(1);

    const replayed = await http().post(`/api/v1/leads/${id}/convert`).set('idempotency-key', `convert-${id}`).send({ ownerId: owner }).expect(200);
    expect(replayed.body).toEqual(converted.body);
    expect(replayed.headers['idempotency-replayed']).toBe('true');
    const again = await http().post(`/api/v1/leads/${id}/convert`).send({}).expect(200);
    expect(again.body).toMatchObject({ id, contactId, accountId });
    expect(await eventCount()).toBe(afterFirst);

    const position = converted.headers['x-position'];
    expect((await read(id, position).expect(200)).body).toMatchObject({ status: 'converted', contactId, accountId, convertedAt: expect.any(String) });
    const contact = await http().get(`/api/v1/contacts/${contactId}`).set('x-min-position', position).expect(200);
    expect(contact.body).toMatchObject({ givenName: 'Ada', familyName: 'Lovelace', emails: ['ada@engines.example'], phones: ['+4915112345679'], accountId, ownerId: owner, lifecycleStage: 'sql' });
    const account = await http().get(`/api/v1/accounts/${accountId}`).set('x-min-position', position).expect(200);
    expect(account.body).toMatchObject({ name: 'Analytical Engines', ownerId: owner, contactCount: 1 });
    const changed = await http().patch(`/api/v1/leads/${id}`).send({ givenName: 'Augusta' }).expect(422);
    expect(changed.body).toMatchObject({ rule: 'lead_converted' });
    const history = await http().get(`/api/v1/contacts/${contactId}/history`).expect(200);
    expect(history.body.items.map((e: { type: string }) => e.type)).toEqual(['ContactRegistered', 'ContactEmailAdded', 'ContactPhoneAdded']);
  });

  it('refuses with 409 a conversion whose Idempotency-Key answered another request on the lead', async () => {
    const created = await capture({ source: 'webinar', givenName: 'Reused' }).expect(201);
    await http().put(`/api/v1/leads/${created.body.id}/qualification`).set('idempotency-key', `reused-${created.body.id}`).send({ status: 'qualified' }).expect(200);
    const reused = await http().post(`/api/v1/leads/${created.body.id}/convert`).set('idempotency-key', `reused-${created.body.id}`).send({}).expect(409);
    expect(reused.body).toMatchObject({ status: 409, detail: expect.stringMatching(/another request/) });
    await nothingConverted(created.body.id);
  });

  it('converts a lead without a company into a contact only', async () => {
    const id = await qualified({ source: 'webinar', email: 'solo@example.com' });
    const converted = await http().post(`/api/v1/leads/${id}/convert`).send({}).expect(200);
    expect(converted.body).toMatchObject({ id, contactId: expect.any(String), accountId: null });
    const contact = await http().get(`/api/v1/contacts/${converted.body.contactId}`).set('x-min-position', converted.headers['x-position']).expect(200);
    expect(contact.body).toMatchObject({ emails: ['solo@example.com'], accountId: null });
  });

  it('filters by source, status, campaign and capture time, sorts and pages', async () => {
    const start = new Date().toISOString();
    let position = '0';
    for (let i = 0; i < 5; i++) {
      const r = await capture({ source: i % 2 ? 'filter-odd' : 'filter-even', givenName: `Filter${i}`, ...(i < 2 ? { campaignId: '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d' } : {}) }).expect(201);
      position = r.headers['x-position'];
      if (i === 4) position = (await qualify(r.body.id, { status: 'working', score: 99 }).expect(200)).headers['x-position'];
    }
    const list = (query: string) => http().get(`/api/v1/leads?${query}`).set('x-min-position', position).expect(200);
    const names = (body: { items: { givenName: string }[] }) => body.items.map((l) => l.givenName);
    expect(names((await list('source=FILTER-ODD')).body)).toEqual(['Filter1', 'Filter3']);
    expect(names((await list(`status=working&capturedFrom=${start}`)).body)).toEqual(['Filter4']);
    expect(names((await list('campaignId=1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d')).body)).toEqual(['Filter0', 'Filter1']);
    expect((await list(`capturedTo=${start}&source=filter-even`)).body.items).toEqual([]);
    expect(names((await list(`capturedFrom=${start}&sort=-score&limit=1`)).body)).toEqual(['Filter4']);
    const first = (await list(`capturedFrom=${start}&limit=2&sort=-capturedAt`)).body;
    const second = (await list(`capturedFrom=${start}&limit=2&sort=-capturedAt&cursor=${first.nextCursor}`)).body;
    const third = (await list(`capturedFrom=${start}&limit=2&sort=-capturedAt&cursor=${second.nextCursor}`)).body;
    expect([...names(first), ...names(second), ...names(third)]).toEqual([4, 3, 2, 1, 0].map((i) => `Filter${i}`));
    expect(third.nextCursor).toBeUndefined();
  });

  it('exports the whole filtered list as CSV', async () => {
    let position = '0';
    for (const givenName of ['Csv, "quoted"', 'Plain', 'Third']) {
      position = (await capture({ source: 'csv-export', givenName, acquisitionCost: { amount: '3', currency: 'USD' } }).expect(201)).headers['x-position'];
    }
    const csv = await http().get('/api/v1/leads?source=csv-export&limit=1').set('accept', 'text/csv').set('x-min-position', position).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = csv.text.trim().split('\r\n');
    expect(header.split(',')).toEqual(expect.arrayContaining(['id', 'source', 'campaign_id', 'cost_amount', 'cost_currency', 'status', 'score', 'contact_id']));
    expect(rows).toHaveLength(3); // the whole list, not one page
    expect(rows[0]).toContain('"Csv, ""quoted"""');
    expect(rows[1]).toContain(',csv-export,,3,USD,Plain,');
  });

  it('completes a conversion interrupted after the lead recorded it', async () => {
    const id = await qualified({ source: 'webinar', givenName: 'Interrupted', companyName: 'Half Done Ltd' });
    const ids = conversionIdsOf(id);
    // What a crash between the appends leaves: LeadConverted on the lead, no contact, no account.
    await service.app.get(Aggregates).handle(streamId('lead', id), id, leadsDecider, { type: 'ConvertLead', data: { leadId: id, now: new Date().toISOString(), ...ids } }, { metadata: {} });
    await nothingConverted(id);
    const retried = await http().post(`/api/v1/leads/${id}/convert`).send({}).expect(200);
    expect(retried.body).toMatchObject(ids);
    expect(await streamEvents(`contact-${ids.contactId}`)).toBe(1);
    expect(await streamEvents(`account-${ids.accountId}`)).toBe(1);
    const account = await http().get(`/api/v1/accounts/${ids.accountId}`).set('x-min-position', retried.headers['x-position']).expect(200);
    expect(account.body).toMatchObject({ name: 'Half Done Ltd', contactCount: 1 });
  });

  it('sums acquisition cost and counts leads by source and by campaign, per currency', async () => {
    const [campaignA, campaignB] = ['c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b', 'c1a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b'];
    const leads = [
      { source: 'cpl-a', campaignId: campaignA, acquisitionCost: { amount: '10.10', currency: 'EUR' } },
      { source: 'cpl-a', campaignId: campaignA, acquisitionCost: { amount: '20.25', currency: 'EUR' } },
      { source: 'cpl-a', campaignId: campaignA, acquisitionCost: { amount: '7', currency: 'USD' } },
      { source: 'cpl-a' },
      { source: 'cpl-b', campaignId: campaignB, acquisitionCost: { amount: '1', currency: 'EUR' } },
      { source: 'cpl-b', campaignId: campaignB, acquisitionCost: { amount: '1', currency: 'EUR' } },
      { source: 'cpl-b', campaignId: campaignA, acquisitionCost: { amount: '1.01', currency: 'EUR' } },
    ];
    let position = '0';
    for (const [i, lead] of leads.entries()) position = (await capture({ ...lead, givenName: `Cost${i}` }).expect(201)).headers['x-position'];
    const bySource = await http().get('/api/v1/leads/cost-per-lead').set('x-min-position', position).expect(200);
    expect(bySource.body.groupBy).toBe('source');
    expect(bySource.body.items.filter((r: { source: string }) => r.source.startsWith('cpl-'))).toEqual([
      { source: 'cpl-a', currency: 'EUR', leads: 2, cost: '30.35', costPerLead: '15.175' },
      { source: 'cpl-a', currency: 'USD', leads: 1, cost: '7', costPerLead: '7' },
      { source: 'cpl-a', currency: null, leads: 1, cost: null, costPerLead: null },
      { source: 'cpl-b', currency: 'EUR', leads: 3, cost: '3.01', costPerLead: '1.0033' },
    ]);
    const byCampaign = await http().get('/api/v1/leads/cost-per-lead?groupBy=campaign').set('x-min-position', position).expect(200);
    expect(byCampaign.body.items.filter((r: { campaignId: string | null }) => r.campaignId === campaignA || r.campaignId === campaignB)).toEqual([
      { campaignId: campaignA, currency: 'EUR', leads: 3, cost: '31.36', costPerLead: '10.4533' },
      { campaignId: campaignA, currency: 'USD', leads: 1, cost: '7', costPerLead: '7' },
      { campaignId: campaignB, currency: 'EUR', leads: 2, cost: '2', costPerLead: '1' },
    ]);
    expect(byCampaign.body.items).toContainEqual(expect.objectContaining({ campaignId: null, currency: null }));
  });

  it('answers 404 for a lead that does not exist, read or write', async () => {
    const missing = '4a4b5c6d-0000-4000-8000-000000000000';
    await http().get(`/api/v1/leads/${missing}`).expect(404);
    await http().patch(`/api/v1/leads/${missing}`).send({ givenName: 'x' }).expect(404);
    await qualify(missing, { status: 'working' }).expect(404);
    await http().post(`/api/v1/leads/${missing}/convert`).send({}).expect(404);
  });
});
