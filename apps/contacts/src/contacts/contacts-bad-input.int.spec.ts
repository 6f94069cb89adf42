import request from 'supertest';
import { bootTestService, expectProblem, itRefusesBadInput, sendJson, storedEvents, violationPaths, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

// Bad input is refused the same way whatever the bus, so this runs once (standalone): every write route
// of contacts and custom fields gets the kit's bad-input cases, and the slice's own are below; each is a
// 4xx problem+json naming the fields, never a 500, and nothing stored changes.
describe('contacts refuse bad input', () => {
  let service: TestService;
  let id: string;
  const http = () => request(service.server);

  beforeAll(async () => {
    service = await bootTestService(contactsService);
    id = (await http().post('/api/v1/contacts').send({ givenName: 'Target', emails: ['t@example.com'] }).expect(201)).body.id;
  });
  afterAll(async () => {
    await service?.close();
  });

  itRefusesBadInput(
    () => service,
    () => [
      { method: 'post', path: '/api/v1/contacts', valid: { givenName: 'A' } },
      { method: 'patch', path: `/api/v1/contacts/${id}`, valid: { givenName: 'A' } },
      { method: 'put', path: `/api/v1/contacts/${id}/lifecycle-stage`, valid: { stage: 'customer' } },
      { method: 'post', path: `/api/v1/contacts/${id}/identities`, valid: { source: 'shop', externalId: '1' } },
      { method: 'put', path: `/api/v1/contacts/${id}/consents/email/marketing`, valid: { granted: true, source: 'form' } },
      { method: 'post', path: `/api/v1/contacts/${id}/unsubscribe`, valid: { source: 'link' } },
      { method: 'post', path: '/api/v1/custom-fields', valid: { key: 'k', label: 'K', type: 'text' } },
      { method: 'patch', path: '/api/v1/custom-fields/k', valid: { label: 'K' } },
    ],
  );

  it('names every nested field that is wrong', async () => {
    const before = await storedEvents(service);
    const nested = await sendJson(service, { method: 'post', path: '/api/v1/contacts' }, { givenName: 'A', address: { country: 'Germany', lat: 200 }, emails: ['x@y.example', 5], phones: ['0049 30'] });
    expectProblem(nested, 400);
    expect(violationPaths(nested)).toEqual(['address.country', 'address.lat', 'emails', 'phones']);
    // An array is not an address, even an empty one (ValidateNested alone let [] through).
    for (const address of [[], [{ country: 'DE' }]]) expect(violationPaths(await sendJson(service, { method: 'post', path: '/api/v1/contacts' }, { givenName: 'A', address }))).toEqual(['address']);
    expect(await storedEvents(service)).toEqual(before);
  });

  it('refuses bad ids, bad path values and bad headers with 400', async () => {
    const before = await storedEvents(service);
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
    expectProblem(await http().get('/api/v1/custom-fields/Not-A-Key'), 400);
    expect(await storedEvents(service)).toEqual(before);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    expectProblem(await http().get('/api/v1/nothing-here'), 404);
  });
});
