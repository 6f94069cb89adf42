import request from 'supertest';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

// Bad input is refused the same way whatever the bus, so this runs once (standalone): every write route
// gets malformed JSON, wrong types, unknown fields, bad ids, huge strings and an oversized body; each is a
// 4xx problem+json naming the fields, never a 500, and nothing stored changes.
describe('contacts refuses bad input', () => {
  let service: TestService;
  let id: string;
  const http = () => request(service.server);
  const snapshot = async () =>
    (await service.infra.pool.query('select count(*)::int as events, max(transaction_id::text) as last from event_store.events')).rows[0] as { events: number };

  beforeAll(async () => {
    service = await bootTestService(contactsService);
    id = (await http().post('/api/v1/contacts').send({ givenName: 'Target', emails: ['t@example.com'] }).expect(201)).body.id;
  });
  afterAll(async () => {
    await service?.close();
  });

  const routes = () =>
    [
      { method: 'post', path: '/api/v1/contacts', valid: { givenName: 'A' } },
      { method: 'patch', path: `/api/v1/contacts/${id}`, valid: { givenName: 'A' } },
      { method: 'put', path: `/api/v1/contacts/${id}/lifecycle-stage`, valid: { stage: 'customer' } },
      { method: 'post', path: `/api/v1/contacts/${id}/identities`, valid: { source: 'shop', externalId: '1' } },
      { method: 'put', path: `/api/v1/contacts/${id}/consents/email/marketing`, valid: { granted: true, source: 'form' } },
      { method: 'post', path: `/api/v1/contacts/${id}/unsubscribe`, valid: { source: 'link' } },
      { method: 'post', path: '/api/v1/custom-fields', valid: { key: 'k', label: 'K', type: 'text' } },
      { method: 'patch', path: '/api/v1/custom-fields/k', valid: { label: 'K' } },
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
    for (const route of routes()) for (const body of ['{"givenName":', '{"a":1}}', 'null', '[1,2]', '"text"']) expectProblem(await send(route, body), 400);
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
    const nested = await send(routes()[0], { givenName: 'A', address: { country: 'Germany', lat: 200 }, emails: ['x@y.example', 5], phones: ['0049 30'] });
    expectProblem(nested, 400);
    expect(nested.body.violations.map((v: { path: string }) => v.path).sort()).toEqual(['address.country', 'address.lat', 'emails', 'phones']);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses huge strings with 400 and bodies over the limit with 413', async () => {
    const before = await snapshot();
    for (const route of routes()) {
      const field = Object.keys(route.valid).find((k) => typeof (route.valid as Record<string, unknown>)[k] === 'string') as string;
      const huge = await send(route, { ...route.valid, [field]: 'x'.repeat(10_000) });
      expectProblem(huge, 400);
      expect(huge.body.violations.map((v: { path: string }) => v.path)).toContain(field);
      expectProblem(await send(route, { ...route.valid, [field]: 'x'.repeat(2 * 1024 * 1024) }), 413);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bad ids, bad path values and bad headers with 400', async () => {
    const before = await snapshot();
    expectProblem(await http().get('/api/v1/contacts/not-a-uuid'), 400);
    expectProblem(await http().patch('/api/v1/contacts/1%27%20or%201=1').send({ givenName: 'A' }), 400);
    expectProblem(await http().put(`/api/v1/contacts/${id}/consents/pigeon/marketing`).send({ granted: true, source: 'x' }), 400);
    expectProblem(await http().patch(`/api/v1/contacts/${id}`).set('if-match', 'yesterday').send({ givenName: 'A' }), 400);
    expectProblem(await http().post('/api/v1/contacts').set('idempotency-key', 'k'.repeat(500)).send({ givenName: 'A' }), 400);
    expectProblem(await http().get(`/api/v1/contacts/${id}`).set('x-min-position', 'soon'), 400);
    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'sort=salary', 'cursor=%%%', 'stage=king', 'owner=me', 'country=Germany', 'unknown=1']) {
      expectProblem(await http().get(`/api/v1/contacts?${query}`), 400);
    }
    expectProblem(await http().get(`/api/v1/contacts/${id}/history?from=-1`), 400);
    expect(await snapshot()).toEqual(before);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    expectProblem(await http().get('/api/v1/nothing-here'), 404);
  });
});
