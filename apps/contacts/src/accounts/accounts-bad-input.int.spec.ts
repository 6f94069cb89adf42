import request from 'supertest';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

// Bad input is refused the same way whatever the bus, so this runs once (standalone): every account write
// route gets malformed JSON, wrong types, unknown fields, bad ids, huge strings and an oversized body; each
// is a 4xx problem+json naming the fields, never a 500, and nothing stored changes.
describe('accounts refuse bad input', () => {
  let service: TestService;
  let id: string;
  const http = () => request(service.server);
  const snapshot = async () =>
    (await service.infra.pool.query('select count(*)::int as events, max(transaction_id::text) as last from event_store.events')).rows[0] as { events: number };

  beforeAll(async () => {
    service = await bootTestService(contactsService);
    id = (await http().post('/api/v1/accounts').send({ name: 'Target' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await service?.close();
  });

  const routes = () =>
    [
      { method: 'post', path: '/api/v1/accounts', valid: { name: 'A', domain: 'a.example', industry: 'Retail' } },
      { method: 'patch', path: `/api/v1/accounts/${id}`, valid: { name: 'A', industry: 'Retail' } },
      { method: 'post', path: `/api/v1/accounts/${id}/archive`, valid: { reason: 'closed' } },
    ] as const;

  const send = (route: ReturnType<typeof routes>[number], body: string | object, headers: Record<string, string> = {}) =>
    http()[route.method](route.path).set({ 'content-type': 'application/json', ...headers }).send(typeof body === 'string' ? body : JSON.stringify(body));

  const expectProblem = (response: request.Response, status: number) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.status).toBe(status);
  };

  it('refuses malformed JSON with 400', async () => {
    const before = await snapshot();
    for (const route of routes()) for (const body of ['{"name":', '{"a":1}}', 'null', '[1,2]', '"text"']) expectProblem(await send(route, body), 400);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses unknown fields and wrong types, naming each field', async () => {
    const before = await snapshot();
    for (const route of routes()) {
      const unknown = await send(route, { ...route.valid, isAdmin: true });
      expectProblem(unknown, 400);
      expect(unknown.body.violations.map((v: { path: string }) => v.path)).toContain('isAdmin');
      const wrongTypes = Object.fromEntries(Object.keys(route.valid).map((k) => [k, { nested: [1] }]));
      const typed = await send(route, wrongTypes);
      expectProblem(typed, 400);
      expect(typed.body.violations.map((v: { path: string }) => v.path).sort()).toEqual(Object.keys(route.valid).sort());
    }
    const nested = await send(routes()[0], { name: 'A', domain: 'not a domain', size: '7', ownerId: 'me', address: { country: 'Germany', lat: 200 } });
    expectProblem(nested, 400);
    expect(nested.body.violations.map((v: { path: string }) => v.path).sort()).toEqual(['address.country', 'address.lat', 'domain', 'ownerId', 'size']);
    const nameless = await send(routes()[0], { domain: 'a.example' });
    expectProblem(nameless, 400);
    expect(nameless.body.violations.map((v: { path: string }) => v.path)).toEqual(['name']);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses huge strings with 400 and bodies over the limit with 413', async () => {
    const before = await snapshot();
    for (const route of routes()) {
      for (const field of Object.keys(route.valid)) {
        const huge = await send(route, { ...route.valid, [field]: 'x'.repeat(10_000) });
        expectProblem(huge, 400);
        expect(huge.body.violations.map((v: { path: string }) => v.path)).toContain(field);
      }
      const field = Object.keys(route.valid)[0];
      expectProblem(await send(route, { ...route.valid, [field]: 'x'.repeat(2 * 1024 * 1024) }), 413);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bad ids, bad query values and bad headers with 400', async () => {
    const before = await snapshot();
    expectProblem(await http().get('/api/v1/accounts/not-a-uuid'), 400);
    expectProblem(await http().get('/api/v1/accounts/not-a-uuid/contacts'), 400);
    expectProblem(await http().patch('/api/v1/accounts/1%27%20or%201=1').send({ name: 'A' }), 400);
    expectProblem(await http().post('/api/v1/accounts/42/archive').send({}), 400);
    expectProblem(await http().patch(`/api/v1/accounts/${id}`).set('if-match', 'yesterday').send({ name: 'A' }), 400);
    expectProblem(await http().post('/api/v1/accounts').set('idempotency-key', 'k'.repeat(500)).send({ name: 'A' }), 400);
    expectProblem(await http().get(`/api/v1/accounts/${id}`).set('x-min-position', 'soon'), 400);
    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'sort=revenue', 'cursor=%%%', 'size=huge', 'owner=me', 'archived=yes', 'domain=a%20b', 'unknown=1']) {
      expectProblem(await http().get(`/api/v1/accounts?${query}`), 400);
    }
    for (const query of ['sort=domain', 'limit=9999', 'name=x']) expectProblem(await http().get(`/api/v1/accounts/${id}/contacts?${query}`), 400);
    expect(await snapshot()).toEqual(before);
  });
});
