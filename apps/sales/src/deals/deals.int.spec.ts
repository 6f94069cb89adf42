import request from 'supertest';
import { bootTestService, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { salesService } from '../sales-service';

// Every pipeline and deal route, through HTTP, on a fresh database, in both bus modes; reads after
// writes send X-Min-Position, as clients do.
describe.each<TestBus>(['standalone', 'kafka'])('pipelines and deals over HTTP (%s)', (bus) => {
  let service: TestService;
  let pipelineId: string;
  const customerId = '5c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
  const ownerId = '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01';
  const stages = [
    { stageId: 'qualify', name: 'Qualify', probability: 10 },
    { stageId: 'proposal', name: 'Proposal', probability: 50 },
  ];
  const http = () => request(service.server);
  const openDeal = (body: object) => http().post('/api/v1/deals').send({ name: 'Deal', customerId, pipelineId, currency: 'EUR', ...body });

  beforeAll(async () => {
    service = await bootTestService(salesService, { bus });
    pipelineId = (await http().post('/api/v1/pipelines').send({ name: 'New business', stages }).expect(201)).body.id;
  });
  afterAll(async () => {
    await service?.close();
  });

  it('creates, edits and lists pipelines with their stages in order, as JSON and CSV', async () => {
    const created = await http().post('/api/v1/pipelines').send({ name: 'Renewals', stages }).expect(201);
    const id = created.body.id;
    expect(created.headers.location).toBe(`/api/v1/pipelines/${id}`);
    const next = [{ stageId: 'qualify', name: 'Qualify', probability: 20 }, { stageId: 'review', name: 'Review', probability: 40 }, stages[1]];
    const changed = await http().patch(`/api/v1/pipelines/${id}`).set('if-match', created.headers.etag).send({ stages: next }).expect(200);
    const got = await http().get(`/api/v1/pipelines/${id}`).set('x-min-position', changed.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({ id, name: 'Renewals', stages: next, revision: changed.body.revision });
    expect(got.headers.etag).toBe(changed.headers.etag);
    const removed = await http().patch(`/api/v1/pipelines/${id}`).send({ stages: [stages[0]] }).expect(422);
    expect(removed.body).toMatchObject({ rule: 'stage_removed' });
    await http().patch(`/api/v1/pipelines/${id}`).set('if-match', created.headers.etag).send({ name: 'Stale' }).expect(412);
    const list = await http().get('/api/v1/pipelines?name=renew').set('x-min-position', changed.headers['x-position']).expect(200);
    expect(list.body.items.map((p: { name: string }) => p.name)).toEqual(['Renewals']);
    const csv = await http().get('/api/v1/pipelines?name=renew').set('accept', 'text/csv').set('x-min-position', changed.headers['x-position']).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.trim().split('\r\n')).toEqual([
      'pipeline_id,pipeline_name,stage_order,stage_id,stage_name,probability,created_at,updated_at',
      ...next.map((s, i) => expect.stringContaining(`${id},Renewals,${i + 1},${s.stageId},${s.name},${s.probability},`)),
    ]);
    await http().get('/api/v1/pipelines/4a4b5c6d-0000-4000-8000-000000000000').expect(404);
  });

  it('opens a deal with lines valued exactly, moves it, wins it, and reads its time in each stage', async () => {
    const opened = await openDeal({
      name: 'Fleet renewal',
      ownerId,
      expectedCloseDate: '2027-03-31',
      lines: [
        { productId: 'van', quantity: 3, unitPrice: '19999.99', discount: '0.03' },
        { productId: 'service', quantity: 1, unitPrice: '0.1', currency: 'EUR' },
      ],
    }).expect(201);
    const id = opened.body.id;
    const moved = await http().post(`/api/v1/deals/${id}/stage`).send({ stageId: 'proposal' }).expect(200);
    const got = await http().get(`/api/v1/deals/${id}`).set('x-min-position', moved.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({
      id, customerId, pipelineId, stageId: 'proposal', probability: 50, amount: '60000.04', currency: 'EUR', status: 'open', ownerId,
      expectedCloseDate: '2027-03-31',
      lines: [
        { productId: 'van', quantity: 3, unitPrice: '19999.99', discount: '0.03', total: '59999.94' },
        { productId: 'service', quantity: 1, unitPrice: '0.10', discount: '0.00', total: '0.10' },
      ],
    });
    expect(got.body.stageHistory).toEqual([{ stageId: 'qualify', secondsInStage: expect.any(Number), leftAt: expect.any(String), outcome: 'moved' }]);
    const won = await http().post(`/api/v1/deals/${id}/win`).send({ reason: 'best offer' }).expect(200);
    const again = await http().post(`/api/v1/deals/${id}/win`).send({}).expect(200);
    expect(again.body.revision).toBe(won.body.revision);
    const refused = await http().post(`/api/v1/deals/${id}/stage`).send({ stageId: 'qualify' }).expect(422);
    expect(refused.body).toMatchObject({ rule: 'deal_closed' });
    const closed = await http().get(`/api/v1/deals/${id}`).set('x-min-position', won.headers['x-position']).expect(200);
    expect(closed.body).toMatchObject({ status: 'won', closeReason: 'best offer', orderId: expect.any(String), closedAt: expect.any(String) });
    expect(closed.body.stageHistory.map((h: { stageId: string; outcome: string }) => [h.stageId, h.outcome])).toEqual([['qualify', 'moved'], ['proposal', 'won']]);
  });

  it('loses a deal with a reason, refuses to move it until it is reopened, then moves it', async () => {
    const id = (await openDeal({ amount: '100' }).expect(201)).body.id;
    await http().post(`/api/v1/deals/${id}/lose`).send({ reason: 'no budget' }).expect(200);
    expect((await http().post(`/api/v1/deals/${id}/stage`).send({ stageId: 'proposal' }).expect(422)).body.rule).toBe('deal_closed');
    await http().post(`/api/v1/deals/${id}/reopen`).send({ reason: 'budget found' }).expect(200);
    const moved = await http().post(`/api/v1/deals/${id}/stage`).send({ stageId: 'proposal' }).expect(200);
    const got = await http().get(`/api/v1/deals/${id}`).set('x-min-position', moved.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({ status: 'open', stageId: 'proposal', closedAt: null, closeReason: null });
  });

  it('refuses what the rules forbid with 422 naming the rule', async () => {
    const rule = async (response: Promise<request.Response>) => (await response).body.rule;
    expect(await rule(openDeal({ stageId: 'closing' }).expect(422))).toBe('stage_not_in_pipeline');
    expect(await rule(openDeal({ pipelineId: '4a4b5c6d-0000-4000-8000-000000000000' }).expect(422))).toBe('pipeline_not_found');
    expect(await rule(openDeal({ lines: [{ productId: 'a', quantity: 1, unitPrice: '5', currency: 'USD' }] }).expect(422))).toBe('currency_mismatch');
    expect(await rule(openDeal({ lines: [{ productId: 'a', quantity: 1, unitPrice: '5', discount: '6' }] }).expect(422))).toBe('discount_exceeds_line');
    expect(await rule(openDeal({ amount: '9', lines: [{ productId: 'a', quantity: 1, unitPrice: '5' }] }).expect(422))).toBe('amount_not_lines_total');
    const id = (await openDeal({ lines: [{ productId: 'a', quantity: 2, unitPrice: '5' }] }).expect(201)).body.id;
    expect(await rule(http().patch(`/api/v1/deals/${id}`).send({ currency: 'USD' }).expect(422))).toBe('currency_mismatch');
    const changed = await http().patch(`/api/v1/deals/${id}`).send({ currency: 'USD', lines: [{ productId: 'b', quantity: 4, unitPrice: '2.5' }], expectedCloseDate: '2027-01-15' }).expect(200);
    const got = await http().get(`/api/v1/deals/${id}`).set('x-min-position', changed.headers['x-position']).expect(200);
    expect(got.body).toMatchObject({ currency: 'USD', amount: '10.00', expectedCloseDate: '2027-01-15' });
  });

  it('filters, sorts and pages deals, and exports them as CSV', async () => {
    const owner = '0d9b8c1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e';
    let position = '0';
    for (const [i, amount] of ['300', '100.5', '200', '0.25'].entries()) {
      position = (await openDeal({ name: `Listed ${i}`, amount, ownerId: owner, stageId: i % 2 ? 'proposal' : 'qualify', expectedCloseDate: `2027-0${i + 1}-01` }).expect(201)).headers['x-position'];
    }
    const list = (query: string) => http().get(`/api/v1/deals?owner=${owner}&${query}`).set('x-min-position', position).expect(200);
    const names = (body: { items: { name: string }[] }) => body.items.map((d) => d.name);
    expect(names((await list('sort=amount')).body)).toEqual(['Listed 3', 'Listed 1', 'Listed 2', 'Listed 0']);
    expect(names((await list('stage=proposal&sort=name')).body)).toEqual(['Listed 1', 'Listed 3']);
    expect(names((await list('closeFrom=2027-02-01&closeTo=2027-03-01&sort=expectedCloseDate')).body)).toEqual(['Listed 1', 'Listed 2']);
    expect((await list('status=won')).body.items).toEqual([]);
    const first = (await list('sort=-amount&limit=3')).body;
    const second = (await list(`sort=-amount&limit=3&cursor=${first.nextCursor}`)).body;
    expect([...names(first), ...names(second)]).toEqual(['Listed 0', 'Listed 2', 'Listed 1', 'Listed 3']);
    expect(second.nextCursor).toBeUndefined();
    const csv = await http().get(`/api/v1/deals?owner=${owner}&sort=name&limit=1`).set('accept', 'text/csv').set('x-min-position', position).expect(200);
    const [header, ...rows] = csv.text.trim().split('\r\n');
    expect(header.split(',')).toEqual(expect.arrayContaining(['id', 'name', 'amount', 'currency', 'stage_id', 'status']));
    expect(rows).toHaveLength(4);
    expect(rows[1]).toContain(',Listed 1,');
    expect(rows[1]).toContain(',100.50,EUR,');
  });

  it('answers 404 for a deal that does not exist, read or write', async () => {
    const missing = '4a4b5c6d-0000-4000-8000-000000000000';
    await http().get(`/api/v1/deals/${missing}`).expect(404);
    await http().patch(`/api/v1/deals/${missing}`).send({ name: 'x' }).expect(404);
    for (const action of ['win', 'reopen']) await http().post(`/api/v1/deals/${missing}/${action}`).send({}).expect(404);
    await http().post(`/api/v1/deals/${missing}/stage`).send({ stageId: 'qualify' }).expect(404);
  });
});
