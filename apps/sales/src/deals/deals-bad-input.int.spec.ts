import request from 'supertest';
import { bootTestService, expectProblem, itRefusesBadInput, sendJson, storedEvents, violationPaths, type TestService, type WriteRoute } from '@clientela/service-kit/testing';
import { salesService } from '../sales-service';

// Bad input is refused the same way whatever the bus, so this runs once (standalone): every pipeline and
// deal write route gets the kit's cases, and the slice's own are below; nothing stored changes.
describe('pipelines and deals refuse bad input', () => {
  let service: TestService;
  let pipelineId: string;
  let dealId: string;
  const customerId = '5c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
  const http = () => request(service.server);

  beforeAll(async () => {
    service = await bootTestService(salesService);
    pipelineId = (await http().post('/api/v1/pipelines').send({ name: 'P', stages: [{ stageId: 'a', name: 'A', probability: 10 }] }).expect(201)).body.id;
    dealId = (await http().post('/api/v1/deals').send({ name: 'D', customerId, pipelineId, currency: 'EUR', amount: '1' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await service?.close();
  });

  const routes = () =>
    [
      { method: 'post', path: '/api/v1/pipelines', valid: { name: 'P', stages: [{ stageId: 'a', name: 'A', probability: 10 }] } },
      { method: 'patch', path: `/api/v1/pipelines/${pipelineId}`, valid: { name: 'P2' } },
      { method: 'post', path: '/api/v1/deals', valid: { name: 'D', customerId, pipelineId, currency: 'EUR', amount: '1.00', expectedCloseDate: '2027-01-01' } },
      { method: 'patch', path: `/api/v1/deals/${dealId}`, valid: { name: 'D2', amount: '2.00', currency: 'EUR' } },
      { method: 'post', path: `/api/v1/deals/${dealId}/stage`, valid: { stageId: 'a' } },
      { method: 'post', path: `/api/v1/deals/${dealId}/win`, valid: { reason: 'r' } },
      { method: 'post', path: `/api/v1/deals/${dealId}/lose`, valid: { reason: 'r' } },
      { method: 'post', path: `/api/v1/deals/${dealId}/reopen`, valid: { reason: 'r' } },
    ] satisfies WriteRoute[];

  itRefusesBadInput(() => service, routes);

  it('refuses floats, negative and over-precise amounts, bad quantities, currencies and dates, naming each field', async () => {
    const before = await storedEvents(service);
    const deal = routes()[2];
    const wrong = await sendJson(service, deal, {
      name: 'D', customerId, pipelineId, currency: 'euro', amount: 12.5, expectedCloseDate: '2027-13-01',
      lines: [{ productId: 'a', quantity: -1, unitPrice: '-1.00', discount: '0.12345' }, { productId: 'b', quantity: 1.5, unitPrice: '1e3' }],
    });
    expectProblem(wrong, 400);
    expect(violationPaths(wrong)).toEqual([
      'amount', 'currency', 'expectedCloseDate', 'lines.0.discount', 'lines.0.quantity', 'lines.0.unitPrice', 'lines.1.quantity', 'lines.1.unitPrice',
    ]);
    // Days that match YYYY-MM-DD but do not exist: stored, they would stop every deals read model (a date column).
    for (const expectedCloseDate of ['2027-02-30', '2027-02-29', '2026-04-31']) {
      for (const route of [deal, routes()[3]]) {
        const impossible = await sendJson(service, route, { ...route.valid, expectedCloseDate });
        expectProblem(impossible, 400);
        expect(violationPaths(impossible)).toEqual(['expectedCloseDate']);
      }
    }
    const stages = await sendJson(service, routes()[0], { name: 'P', stages: [{ stageId: 'Has Space', name: '', probability: 101 }] });
    expectProblem(stages, 400);
    expect(violationPaths(stages)).toEqual(['stages.0.name', 'stages.0.probability', 'stages.0.stageId']);
    const cleared = await sendJson(service, routes()[3], { name: null, currency: null, amount: null, lines: null });
    expectProblem(cleared, 400);
    expect(violationPaths(cleared)).toEqual(['amount', 'currency', 'lines', 'name']);
    expect(await storedEvents(service)).toEqual(before);
  });

  it('refuses bad ids, bad query values and bad headers with 400', async () => {
    const before = await storedEvents(service);
    expectProblem(await http().get('/api/v1/deals/not-a-uuid'), 400);
    expectProblem(await http().get('/api/v1/pipelines/not-a-uuid'), 400);
    expectProblem(await http().get('/api/v1/deals/%ff'), 400);
    // Refused by Node's HTTP parser, before Fastify has a request: problem+json all the same.
    expectProblem(await http().get('/api/v1/deals').set('x-filler', 'a'.repeat(20_000)), 431);
    expectProblem(await http().post('/api/v1/deals/42/win').send({}), 400);
    expectProblem(await http().patch(`/api/v1/deals/${dealId}`).set('if-match', 'yesterday').send({ name: 'A' }), 400);
    for (const query of ['limit=0', 'limit=501', 'sort=revenue', 'cursor=%%%', 'status=pending', 'owner=me', 'currency=euro', 'closeFrom=tomorrow', 'closeFrom=1997-02-30', 'closeTo=2027-02-29', 'stage=A%20B', 'unknown=1', 'name=a%00b']) {
      expectProblem(await http().get(`/api/v1/deals?${query}`), 400);
    }
    for (const query of ['sort=amount', 'limit=9999']) expectProblem(await http().get(`/api/v1/pipelines?${query}`), 400);
    expect(await storedEvents(service)).toEqual(before);
  });
});
