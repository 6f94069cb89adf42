import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bootTestService, expectProblem, itRefusesBadInput, sendJson, storedEvents, violationPaths, type TestService, type WriteRoute } from '@clientela/service-kit/testing';
import { salesService } from '../sales-service';

// Every team, rep and quota write route refuses bad input (once: it does not depend on the bus).
describe('sales teams, reps and quotas refuse bad input', () => {
  let service: TestService;
  let teamId: string;
  let repId: string;
  const http = () => request(service.server);

  beforeAll(async () => {
    service = await bootTestService(salesService);
    teamId = (await http().post('/api/v1/sales-teams').send({ name: 'T' }).expect(201)).body.id;
    repId = (await http().post('/api/v1/sales-reps').send({ name: 'R', teamId }).expect(201)).body.id;
  });
  afterAll(async () => {
    await service?.close();
  });

  const routes = () =>
    [
      { method: 'post', path: '/api/v1/sales-teams', valid: { name: 'T2' } },
      { method: 'patch', path: `/api/v1/sales-teams/${teamId}`, valid: { name: 'T3' } },
      { method: 'post', path: '/api/v1/sales-reps', valid: { id: randomUUID(), name: 'R2', email: 'r2@example.com', teamId } },
      { method: 'patch', path: `/api/v1/sales-reps/${repId}`, valid: { name: 'R3', email: 'r3@example.com', teamId } },
      { method: 'put', path: `/api/v1/sales-reps/${repId}/quotas/2027-Q1`, valid: { amount: '100.00', currency: 'EUR' } },
    ] satisfies WriteRoute[];

  itRefusesBadInput(() => service, routes);

  it('refuses float, negative and over-precise quotas, bad periods and a null name', async () => {
    const before = await storedEvents(service);
    for (const amount of [100.5, '-1', '1.23456', '1e3']) {
      const refused = await sendJson(service, routes()[4], { amount, currency: 'EUR' });
      expectProblem(refused, 400);
      expect(violationPaths(refused)).toEqual(['amount']);
    }
    for (const period of ['2027-13', '2027-Q0', '27-Q1', 'Q1']) expectProblem(await http().put(`/api/v1/sales-reps/${repId}/quotas/${period}`).send({ amount: '1', currency: 'EUR' }), 400);
    const cleared = await sendJson(service, routes()[3], { name: null });
    expectProblem(cleared, 400);
    expect(violationPaths(cleared)).toEqual(['name']);
    for (const query of ['team=x', 'sort=email', 'limit=0']) expectProblem(await http().get(`/api/v1/sales-reps?${query}`), 400);
    for (const query of ['period=2027', 'rep=me', 'sort=currency']) expectProblem(await http().get(`/api/v1/sales-quotas?${query}`), 400);
    expect(await storedEvents(service)).toEqual(before);
  });
});
