import request from 'supertest';
import { bootTestService, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

// Every route, through HTTP, on a fresh database, in both bus modes (in Kafka mode the relay publishes
// and the read model follows the topic). Reads after writes send X-Min-Position, as clients do.
describe.each<TestBus>(['standalone', 'kafka'])('contacts over HTTP (%s)', (bus) => {
  let service: TestService;
  beforeAll(async () => {
    service = await bootTestService(contactsService, { bus });
  });
  afterAll(async () => {
    await service?.close();
  });

  const http = () => request(service.server);
  const create = (body: object, headers: Record<string, string> = {}) => http().post('/api/v1/contacts').set(headers).send(body);
  const read = (id: string, position: string) => http().get(`/api/v1/contacts/${id}`).set('x-min-position', position);
  const eventCount = async () => Number((await service.infra.pool.query('select count(*) from event_store.events')).rows[0].count);

  it('registers a contact and reads it back with X-Min-Position', async () => {
    const created = await create({
      givenName: 'Ada',
      familyName: 'Lovelace',
      emails: ['Ada@Example.com', 'ada@work.example'],
      phones: ['+4915112345678'],
      tags: ['vip'],
      address: { city: 'London', country: 'GB', lat: 51.5, lon: -0.12 },
      identities: [{ source: 'shop', externalId: 'c-1' }],
      consents: [{ channel: 'email', purpose: 'marketing', source: 'signup' }],
      lifecycleStage: 'lead',
    }).expect(201);
    expect(created.headers.etag).toBe(`"${created.body.revision}"`);
    expect(created.headers.location).toBe(`/api/v1/contacts/${created.body.id}`);
    expect(created.headers['x-position']).toBe(created.body.position);
    const got = await read(created.body.id, created.headers['x-position']).expect(200);
    expect(got.headers.etag).toBe(created.headers.etag);
    expect(got.body).toMatchObject({
      givenName: 'Ada',
      familyName: 'Lovelace',
      emails: ['ada@example.com', 'ada@work.example'],
      phones: ['+4915112345678'],
      tags: ['vip'],
      identities: [{ source: 'shop', externalId: 'c-1' }],
      consents: [{ channel: 'email', purpose: 'marketing', granted: true, source: 'signup' }],
      lifecycleStage: 'lead',
      address: { city: 'London', country: 'GB', lat: 51.5, lon: -0.12 },
    });
  });

  it('answers a retried create with the same Idempotency-Key with the first answer, appending nothing', async () => {
    const first = await create({ givenName: 'Retry' }, { 'idempotency-key': 'create-retry-1' }).expect(201);
    const before = await eventCount();
    const second = await create({ givenName: 'Retry' }, { 'idempotency-key': 'create-retry-1' }).expect(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotency-replayed']).toBe('true');
    expect(await eventCount()).toBe(before);
  });

  it('changes a contact, refusing a stale If-Match with 412 and changing nothing', async () => {
    const created = await create({ givenName: 'Grace', emails: ['grace@example.com'] }).expect(201);
    const changed = await http()
      .patch(`/api/v1/contacts/${created.body.id}`)
      .set('if-match', created.headers.etag)
      .send({ familyName: 'Hopper', emails: ['g@navy.example', 'grace@example.com'], tags: ['admiral'] })
      .expect(200);
    expect(changed.body.revision).toBeGreaterThan(created.body.revision);
    const stale = await http().patch(`/api/v1/contacts/${created.body.id}`).set('if-match', created.headers.etag).send({ givenName: 'Stale' }).expect(412);
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(stale.body).toMatchObject({ status: 412, expectedRevision: created.body.revision, actualRevision: changed.body.revision });
    const got = await read(created.body.id, changed.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({ givenName: 'Grace', familyName: 'Hopper', emails: ['g@navy.example', 'grace@example.com'], tags: ['admiral'] });
  });

  it('moves the lifecycle stage forwards and refuses a move backwards with 422', async () => {
    const created = await create({ givenName: 'Stage' }).expect(201);
    const moved = await http().put(`/api/v1/contacts/${created.body.id}/lifecycle-stage`).send({ stage: 'customer', reason: 'first order' }).expect(200);
    const refused = await http().put(`/api/v1/contacts/${created.body.id}/lifecycle-stage`).send({ stage: 'lead' }).expect(422);
    expect(refused.body).toMatchObject({ rule: 'lifecycle_stage_order' });
    expect((await read(created.body.id, moved.headers['x-position'])).body.lifecycleStage).toBe('customer');
  });

  it('links and unlinks identities, consents and unsubscribes, and keeps every change in the history', async () => {
    const created = await create({ emails: ['kim@example.com'] }).expect(201);
    const id = created.body.id;
    await http().post(`/api/v1/contacts/${id}/identities`).send({ source: 'crm', externalId: 'k-9' }).expect(200);
    const conflict = await http().post(`/api/v1/contacts/${id}/identities`).send({ source: 'crm', externalId: 'k-10' }).expect(409);
    expect(conflict.body.status).toBe(409);
    await http().put(`/api/v1/contacts/${id}/consents/email/marketing`).send({ granted: true, source: 'preferences' }).expect(200);
    await http().put(`/api/v1/contacts/${id}/consents/email/profiling`).send({ granted: true, source: 'preferences' }).expect(200);
    await http().put(`/api/v1/contacts/${id}/consents/sms/marketing`).send({ granted: true, source: 'preferences' }).expect(422);
    await http().post(`/api/v1/contacts/${id}/unsubscribe`).send({ channel: 'email', source: 'unsubscribe-link' }).expect(200);
    const last = await http().delete(`/api/v1/contacts/${id}/identities/crm/k-9`).expect(200);
    const got = await read(id, last.headers['x-position']).expect(200);
    expect(got.body.identities).toEqual([]);
    expect(got.body.consents).toEqual([
      expect.objectContaining({ channel: 'email', purpose: 'marketing', granted: false, source: 'unsubscribe-link' }),
      expect.objectContaining({ channel: 'email', purpose: 'profiling', granted: false, source: 'unsubscribe-link' }),
    ]);
    const history = await http().get(`/api/v1/contacts/${id}/history`).expect(200);
    expect(history.body.items.map((e: { type: string }) => e.type)).toEqual([
      'ContactRegistered',
      'ContactEmailAdded',
      'ContactIdentityLinked',
      'ContactConsentGiven',
      'ContactConsentGiven',
      'ContactConsentWithdrawn',
      'ContactConsentWithdrawn',
      'ContactIdentityUnlinked',
    ]);
    const page = await http().get(`/api/v1/contacts/${id}/history?from=2&limit=2`).expect(200);
    expect(page.body.items.map((e: { revision: number }) => e.revision)).toEqual([2, 3]);
    expect(page.body.nextFrom).toBe(4);
  });

  it('searches by name, email and phone prefix, tag, stage, owner and country, page by page', async () => {
    const owner = '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01';
    let position = '0';
    for (let i = 0; i < 5; i++) {
      const r = await create({ givenName: `Searchable${i}`, emails: [`s${i}@search.example`], phones: [`+4930123450${i}`], tags: [i % 2 ? 'odd' : 'even'], ownerId: owner, address: { country: i < 3 ? 'DE' : 'FR' } }).expect(201);
      position = r.headers['x-position'];
    }
    const list = (query: string) => http().get(`/api/v1/contacts?${query}`).set('x-min-position', position).expect(200);
    expect((await list('name=searchable&sort=name')).body.items.map((c: { givenName: string }) => c.givenName)).toEqual([0, 1, 2, 3, 4].map((i) => `Searchable${i}`));
    expect((await list('email=S3@SEARCH')).body.items.map((c: { givenName: string }) => c.givenName)).toEqual(['Searchable3']);
    expect((await list('phone=%2B49301234504')).body.items).toHaveLength(1);
    expect((await list('tag=odd&owner=' + owner)).body.items).toHaveLength(2);
    expect((await list('country=fr&name=search')).body.items).toHaveLength(2);
    expect((await list('stage=subscriber&owner=' + owner)).body.items).toHaveLength(5);
    const first = (await list(`owner=${owner}&limit=2&sort=-registeredAt`)).body;
    const second = (await list(`owner=${owner}&limit=2&sort=-registeredAt&cursor=${first.nextCursor}`)).body;
    const third = (await list(`owner=${owner}&limit=2&sort=-registeredAt&cursor=${second.nextCursor}`)).body;
    expect([...first.items, ...second.items, ...third.items].map((c: { givenName: string }) => c.givenName)).toEqual([4, 3, 2, 1, 0].map((i) => `Searchable${i}`));
    expect(third.nextCursor).toBeUndefined();
    const wrongSort = await http().get(`/api/v1/contacts?owner=${owner}&sort=name&cursor=${first.nextCursor}`).expect(400);
    expect(wrongSort.body.violations[0].path).toBe('cursor');
  });

  it('exports the filtered list as CSV with one column per identity source', async () => {
    const r = await create({ givenName: 'Csv, "quoted"', emails: ['csv@export.example'], tags: ['csv-export'], identities: [{ source: 'erp', externalId: 'E-1' }] }).expect(201);
    const csv = await http().get('/api/v1/contacts?tag=csv-export').set('accept', 'text/csv').set('x-min-position', r.headers['x-position']).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, row, ...rest] = csv.text.trim().split('\r\n');
    expect(header.split(',')).toEqual(expect.arrayContaining(['id', 'given_name', 'email', 'identity:erp']));
    expect(rest).toEqual([]);
    expect(row).toContain('"Csv, ""quoted"""');
    expect(row.split(',')[header.split(',').indexOf('identity:erp') + 1]).toBe('E-1'); // +1: the quoted name holds a comma
  });

  it('manages custom field definitions and keeps contact values to them', async () => {
    const tier = `tier_${bus}`;
    await http().post('/api/v1/custom-fields').send({ key: tier, label: 'Tier', type: 'enum', options: ['gold', 'silver'] }).expect(201);
    await http().post('/api/v1/custom-fields').send({ key: `since_${bus}`, label: 'Customer since', type: 'date' }).expect(201);
    await http().post('/api/v1/custom-fields').send({ key: tier, label: 'Again', type: 'text' }).expect(409);
    await http().patch(`/api/v1/custom-fields/${tier}`).send({ options: ['gold', 'silver', 'bronze'] }).expect(200);
    expect((await http().get(`/api/v1/custom-fields/${tier}`).expect(200)).body).toMatchObject({ key: tier, type: 'enum', options: ['gold', 'silver', 'bronze'] });
    const refused = await create({ givenName: 'Custom', customFields: { [tier]: 'platinum', [`since_${bus}`]: 'yesterday', nope: 1 } }).expect(400);
    expect(refused.body.violations.map((v: { path: string }) => v.path).sort()).toEqual([`customFields.nope`, `customFields.since_${bus}`, `customFields.${tier}`].sort());
    const created = await create({ givenName: 'Custom', tags: [`custom-${bus}`], customFields: { [tier]: 'bronze', [`since_${bus}`]: '2020-01-31' } }).expect(201);
    const changed = await http().patch(`/api/v1/contacts/${created.body.id}`).send({ customFields: { [`since_${bus}`]: null } }).expect(200);
    expect((await read(created.body.id, changed.headers['x-position'])).body.customFields).toEqual({ [tier]: 'bronze' });
    const csv = await http().get(`/api/v1/contacts?tag=custom-${bus}`).set('accept', 'text/csv').expect(200);
    const [header, row] = csv.text.trim().split('\r\n');
    expect(row.split(',')[header.split(',').indexOf(`custom:${tier}`)]).toBe('bronze');
    await http().delete(`/api/v1/custom-fields/${tier}`).expect(200);
    expect((await http().get('/api/v1/custom-fields').expect(200)).body.items.map((f: { key: string }) => f.key)).not.toContain(tier);
    expect((await http().get(`/api/v1/contacts/${created.body.id}`).expect(200)).body.customFields).toEqual({});
    await http().patch(`/api/v1/contacts/${created.body.id}`).send({ customFields: { [tier]: 'gold' } }).expect(400);
  });

  it('answers 404 for a contact that does not exist, read or write', async () => {
    await http().get('/api/v1/contacts/4a4b5c6d-0000-4000-8000-000000000000').expect(404);
    await http().patch('/api/v1/contacts/4a4b5c6d-0000-4000-8000-000000000000').send({ givenName: 'x' }).expect(404);
    await http().get('/api/v1/contacts/4a4b5c6d-0000-4000-8000-000000000000/history').expect(404);
  });
});
