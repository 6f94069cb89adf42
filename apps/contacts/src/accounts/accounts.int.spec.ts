import request from 'supertest';
import { bootTestService, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

// Every account route, through HTTP, on a fresh database, in both bus modes. Reads after writes send
// X-Min-Position, as clients do.
describe.each<TestBus>(['standalone', 'kafka'])('accounts over HTTP (%s)', (bus) => {
  let service: TestService;
  beforeAll(async () => {
    service = await bootTestService(contactsService, { bus });
  });
  afterAll(async () => {
    await service?.close();
  });

  const http = () => request(service.server);
  const create = (body: object, headers: Record<string, string> = {}) => http().post('/api/v1/accounts').set(headers).send(body);
  const read = (id: string, position: string) => http().get(`/api/v1/accounts/${id}`).set('x-min-position', position);
  const eventCount = async () => Number((await service.infra.pool.query('select count(*) from event_store.events')).rows[0].count);

  it('registers an account with its domain normalised and reads it back with X-Min-Position', async () => {
    const created = await create({
      name: 'Acme Corp',
      domain: 'https://www.ACME.example/about',
      industry: 'Manufacturing',
      size: '51-200',
      address: { line1: '1 Main St', city: 'Berlin', country: 'DE', lat: 52.5, lon: 13.4 },
      ownerId: '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01',
    }).expect(201);
    expect(created.headers.etag).toBe(`"${created.body.revision}"`);
    expect(created.headers.location).toBe(`/api/v1/accounts/${created.body.id}`);
    expect(created.headers['x-position']).toBe(created.body.position);
    const got = await read(created.body.id, created.headers['x-position']).expect(200);
    expect(got.headers.etag).toBe(created.headers.etag);
    expect(got.body).toMatchObject({
      id: created.body.id,
      name: 'Acme Corp',
      domain: 'acme.example',
      industry: 'Manufacturing',
      size: '51-200',
      address: { line1: '1 Main St', city: 'Berlin', country: 'DE', lat: 52.5, lon: 13.4 },
      ownerId: '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01',
      archived: false,
      archivedAt: null,
      contactCount: 0,
    });
  });

  it('answers a retried create with the same Idempotency-Key with the first answer, appending nothing', async () => {
    const first = await create({ name: 'Retry Ltd' }, { 'idempotency-key': 'account-retry-1' }).expect(201);
    const before = await eventCount();
    const second = await create({ name: 'Retry Ltd' }, { 'idempotency-key': 'account-retry-1' }).expect(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotency-replayed']).toBe('true');
    expect(await eventCount()).toBe(before);
  });

  it('changes an account, clears a field with null, refuses a stale If-Match with 412 and clearing the name with 422', async () => {
    const created = await create({ name: 'Globex', industry: 'Energy', size: '1-10' }).expect(201);
    const id = created.body.id;
    const changed = await http().patch(`/api/v1/accounts/${id}`).set('if-match', created.headers.etag).send({ name: 'Globex Corporation', size: '11-50', industry: null, domain: 'globex.example' }).expect(200);
    expect(changed.body.revision).toBeGreaterThan(created.body.revision);
    expect(changed.headers.etag).toBe(`"${changed.body.revision}"`);
    const stale = await http().patch(`/api/v1/accounts/${id}`).set('if-match', created.headers.etag).send({ name: 'Stale' }).expect(412);
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(stale.body).toMatchObject({ status: 412, expectedRevision: created.body.revision, actualRevision: changed.body.revision });
    const unnamed = await http().patch(`/api/v1/accounts/${id}`).send({ name: null }).expect(422);
    expect(unnamed.body).toMatchObject({ status: 422, rule: 'account_needs_name' });
    const got = await read(id, changed.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({ name: 'Globex Corporation', size: '11-50', industry: null, domain: 'globex.example', revision: changed.body.revision });
  });

  it('archives an account once, then refuses changes with 422', async () => {
    const created = await create({ name: 'Initech' }).expect(201);
    const id = created.body.id;
    const archived = await http().post(`/api/v1/accounts/${id}/archive`).send({ reason: 'went out of business' }).expect(200);
    const again = await http().post(`/api/v1/accounts/${id}/archive`).send({}).expect(200);
    expect(again.body).toEqual(archived.body);
    const refused = await http().patch(`/api/v1/accounts/${id}`).send({ industry: 'Software' }).expect(422);
    expect(refused.body).toMatchObject({ rule: 'account_archived' });
    const got = await read(id, archived.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({ archived: true, archivedAt: expect.any(String), industry: null });
  });

  it('counts and lists the contacts of an account, page by page', async () => {
    const account = await create({ name: 'Contacts Inc' }).expect(201);
    const accountId = account.body.id;
    let position = account.headers['x-position'];
    for (const [givenName, familyName] of [['Ada', 'Lovelace'], ['Grace', 'Hopper'], ['Alan', 'Turing']]) {
      const contact = await http().post('/api/v1/contacts').send({ givenName, familyName, emails: [`${givenName.toLowerCase()}@contacts.example`], accountId }).expect(201);
      position = contact.headers['x-position'];
    }
    await http().post('/api/v1/contacts').send({ givenName: 'Elsewhere' }).expect(201);
    const got = await read(accountId, position).expect(200);
    expect(got.body.contactCount).toBe(3);
    const contacts = (query: string) => http().get(`/api/v1/accounts/${accountId}/contacts?${query}`).set('x-min-position', position).expect(200);
    const first = (await contacts('limit=2')).body;
    const second = (await contacts(`limit=2&cursor=${first.nextCursor}`)).body;
    expect([...first.items, ...second.items].map((c: { familyName: string }) => c.familyName)).toEqual(['Hopper', 'Lovelace', 'Turing']);
    expect(first.items[0]).toMatchObject({ givenName: 'Grace', email: 'grace@contacts.example', lifecycleStage: 'subscriber' });
    expect(second.nextCursor).toBeUndefined();
    const newest = (await contacts('sort=-registeredAt&limit=1')).body;
    expect(newest.items.map((c: { familyName: string }) => c.familyName)).toEqual(['Turing']);
    await http().get('/api/v1/accounts/4a4b5c6d-0000-4000-8000-000000000000/contacts').expect(404);
  });

  it('filters by name prefix, domain, industry, size and owner, sorts and pages', async () => {
    const owner = '0d9b8c1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e';
    let position = '0';
    for (let i = 0; i < 5; i++) {
      const r = await create({ name: `Filterable ${i}`, domain: `f${i}.filter.example`, industry: i % 2 ? 'Retail' : 'Banking', size: i < 3 ? '1-10' : '5000+', ownerId: owner }).expect(201);
      position = r.headers['x-position'];
    }
    const list = (query: string) => http().get(`/api/v1/accounts?${query}`).set('x-min-position', position).expect(200);
    const names = (body: { items: { name: string }[] }) => body.items.map((a) => a.name);
    expect(names((await list('name=filterable&sort=-name')).body)).toEqual([4, 3, 2, 1, 0].map((i) => `Filterable ${i}`));
    expect(names((await list('domain=WWW.F3.filter.example')).body)).toEqual(['Filterable 3']);
    expect(names((await list(`industry=retail&owner=${owner}`)).body)).toEqual(['Filterable 1', 'Filterable 3']);
    expect(names((await list(`size=5000%2B&owner=${owner}&sort=name`)).body)).toEqual(['Filterable 3', 'Filterable 4']);
    expect((await list(`owner=${owner}&archived=true`)).body.items).toEqual([]);
    const first = (await list(`owner=${owner}&limit=2`)).body;
    const second = (await list(`owner=${owner}&limit=2&cursor=${first.nextCursor}`)).body;
    const third = (await list(`owner=${owner}&limit=2&cursor=${second.nextCursor}`)).body;
    expect([...names(first), ...names(second), ...names(third)]).toEqual([0, 1, 2, 3, 4].map((i) => `Filterable ${i}`));
    expect(third.nextCursor).toBeUndefined();
  });

  it('exports the whole filtered list as CSV', async () => {
    const industry = 'Csv Export';
    let position = '0';
    for (const name of ['Csv, "quoted" Ltd', 'Plain Csv', '=Formula Csv']) position = (await create({ name, industry, domain: 'csv.example' }).expect(201)).headers['x-position'];
    const csv = await http().get(`/api/v1/accounts?industry=${encodeURIComponent(industry)}&sort=name&limit=1`).set('accept', 'text/csv').set('x-min-position', position).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = csv.text.trim().split('\r\n');
    expect(header.split(',')).toEqual(expect.arrayContaining(['id', 'name', 'domain', 'industry', 'size', 'archived', 'contact_count']));
    expect(rows).toHaveLength(3); // the whole list, not one page
    expect(rows.filter((r) => r.includes('"Csv, ""quoted"" Ltd"'))).toHaveLength(1);
    expect(rows.filter((r) => r.includes(",'=Formula Csv,"))).toHaveLength(1); // defused for spreadsheets
    expect(rows.filter((r) => r.includes(',Plain Csv,csv.example,Csv Export,'))).toHaveLength(1);
  });

  it('answers 404 for an account that does not exist, read or write', async () => {
    await http().get('/api/v1/accounts/4a4b5c6d-0000-4000-8000-000000000000').expect(404);
    await http().patch('/api/v1/accounts/4a4b5c6d-0000-4000-8000-000000000000').send({ name: 'x' }).expect(404);
    await http().post('/api/v1/accounts/4a4b5c6d-0000-4000-8000-000000000000/archive').send({}).expect(404);
  });
});
