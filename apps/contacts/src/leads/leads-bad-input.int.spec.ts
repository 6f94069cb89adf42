import request from 'supertest';
import { bootTestService, expectProblem, itRefusesBadInput, sendJson, storedEvents, violationPaths, type TestService, type WriteRoute } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

// Bad input is refused the same way whatever the bus, so this runs once (standalone): every lead write
// route gets the kit's bad-input cases, and the slice's own are below; each is a 4xx problem+json naming
// the fields, never a 500, and nothing stored changes.
describe('leads refuse bad input', () => {
  let service: TestService;
  let id: string;
  const http = () => request(service.server);
  const snapshot = () => storedEvents(service);

  beforeAll(async () => {
    service = await bootTestService(contactsService);
    id = (await http().post('/api/v1/leads').send({ source: 'webinar', givenName: 'Target', companyName: 'Target Inc' }).expect(201)).body.id;
    await http().put(`/api/v1/leads/${id}/qualification`).send({ status: 'qualified', score: 50 }).expect(200);
  });
  afterAll(async () => {
    await service?.close();
  });

  const routes = () =>
    [
      { method: 'post', path: '/api/v1/leads', valid: { source: 'webinar', givenName: 'A', email: 'a@example.com', companyName: 'A Inc' } },
      { method: 'patch', path: `/api/v1/leads/${id}`, valid: { givenName: 'A', phone: '+4915112345678' } },
      { method: 'put', path: `/api/v1/leads/${id}/qualification`, valid: { status: 'working', reason: 'call back' } },
      { method: 'post', path: `/api/v1/leads/${id}/convert`, valid: { ownerId: '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01' } },
    ] satisfies WriteRoute[];

  itRefusesBadInput(() => service, routes);

  const send = (route: WriteRoute, body: string | object) => sendJson(service, route, body);

  const paths = violationPaths;

  it('names every nested field that is wrong', async () => {
    const before = await snapshot();
    const nested = await send(routes()[0], { source: 'web inar', campaignId: 'abc', email: 'not-an-email', acquisitionCost: { amount: 12.5, currency: 'EURO' } });
    expectProblem(nested, 400);
    expect(paths(nested)).toEqual(['acquisitionCost.amount', 'acquisitionCost.currency', 'campaignId', 'email', 'source']);
    // An array is not an amount: [] passed ValidateNested alone and the decider threw (a 500).
    for (const acquisitionCost of [[], [{ amount: '1.00', currency: 'EUR' }]]) expect(paths(await send(routes()[0], { source: 'web', acquisitionCost }))).toEqual(['acquisitionCost']);
    const score = await send(routes()[2], { status: 'qualified', score: 101 });
    expectProblem(score, 400);
    expect(paths(score)).toEqual(['score']);
    for (const value of ['50', 50.5, -1]) expect(paths(await send(routes()[2], { status: 'qualified', score: value }))).toEqual(['score']);
    expect(paths(await send(routes()[2], { status: 'new' }))).toEqual(['status']);
    expect(paths(await send(routes()[0], { givenName: 'No source' }))).toEqual(['source']);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an amount too long to be one', async () => {
    const before = await snapshot();
    const amount = await send(routes()[0], { ...routes()[0].valid, acquisitionCost: { amount: '9'.repeat(10_000), currency: 'EUR' } });
    expect(paths(amount)).toEqual(['acquisitionCost.amount']);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bad ids, bad query values and bad headers with 400', async () => {
    const before = await snapshot();
    expectProblem(await http().get('/api/v1/leads/not-a-uuid'), 400);
    expectProblem(await http().patch('/api/v1/leads/1%27%20or%201=1').send({ givenName: 'A' }), 400);
    expectProblem(await http().put('/api/v1/leads/42/qualification').send({ status: 'working' }), 400);
    expectProblem(await http().post('/api/v1/leads/42/convert').send({}), 400);
    expectProblem(await http().post(`/api/v1/leads/${id}/convert`).set('if-match', 'yesterday').send({}), 400);
    expectProblem(await http().post(`/api/v1/leads/${id}/convert`).set('idempotency-key', 'k'.repeat(500)).send({}), 400);
    expectProblem(await http().post('/api/v1/leads').set('idempotency-key', 'k'.repeat(500)).send({ source: 'webinar', givenName: 'A' }), 400);
    expectProblem(await http().get(`/api/v1/leads/${id}`).set('x-min-position', 'soon'), 400);
    for (const query of ['limit=0', 'limit=501', 'sort=cost', 'cursor=%%%', 'status=hot', 'campaignId=x', 'capturedFrom=yesterday', 'capturedTo=2026-13-45', 'source=a%20b', 'unknown=1']) {
      expectProblem(await http().get(`/api/v1/leads?${query}`), 400);
    }
    for (const query of ['groupBy=day', 'groupBy=', 'limit=5']) expectProblem(await http().get(`/api/v1/leads/cost-per-lead?${query}`), 400);
    expect(await snapshot()).toEqual(before);
  });
});
