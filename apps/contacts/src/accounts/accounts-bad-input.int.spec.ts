import request from 'supertest';
import { bootTestService, expectProblem, itRefusesBadInput, sendJson, storedEvents, violationPaths, type TestService, type WriteRoute } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

// Bad input is refused the same way whatever the bus, so this runs once (standalone): every account write
// route gets the kit's bad-input cases, and the slice's own are below; each is a 4xx problem+json naming
// the fields, never a 500, and nothing stored changes.
describe('accounts refuse bad input', () => {
  let service: TestService;
  let id: string;
  const http = () => request(service.server);
  const snapshot = () => storedEvents(service);

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
    ] satisfies WriteRoute[];

  itRefusesBadInput(() => service, routes);

  const send = (route: WriteRoute, body: string | object) => sendJson(service, route, body);


  it('names every nested field that is wrong', async () => {
    const before = await snapshot();
    const nested = await send(routes()[0], { name: 'A', domain: 'not a domain', size: '7', ownerId: 'me', address: { country: 'Germany', lat: 200 } });
    expectProblem(nested, 400);
    expect(violationPaths(nested)).toEqual(['address.country', 'address.lat', 'domain', 'ownerId', 'size']);
    expect(violationPaths(await send(routes()[0], { name: 'A', address: [] }))).toEqual(['address']);
    const nameless = await send(routes()[0], { domain: 'a.example' });
    expectProblem(nameless, 400);
    expect(violationPaths(nameless)).toEqual(['name']);
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
