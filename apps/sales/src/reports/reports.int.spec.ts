import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { formatPosition, streamId, type DealEvent } from '@clientela/contracts';
import { bootTestService, expectProblem, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { salesService } from '../sales-service';

// Teams, reps and quotas through HTTP; then a seeded pipeline (deal events appended with chosen dates)
// and every report compared with figures computed by hand below. Both bus modes.
describe.each<TestBus>(['standalone', 'kafka'])('sales teams, quotas and reports over HTTP (%s)', (bus) => {
  let service: TestService;
  let position = '0';
  let pipelineId: string;
  let teamId: string;
  const rita = randomUUID();
  const sam = randomUUID();
  const tom = randomUUID();
  const http = () => request(service.server);
  const at = (p: string) => (BigInt(p) > BigInt(position) ? (position = p) : position);

  const seedDeal = async (owner: string, opened: Partial<Extract<DealEvent, { type: 'DealOpened' }>['data']>, close?: { won?: string; lostAt?: string }) => {
    const dealId = randomUUID();
    const customerId = randomUUID();
    const base = { dealId, customerId };
    const events: DealEvent[] = [
      {
        type: 'DealOpened',
        data: { ...base, pipelineId, stageId: 'qualify', probability: 10, name: 'Seeded', amount: '0', currency: 'EUR', ownerId: owner, lines: [], openedAt: '2027-01-01T00:00:00.000Z', ...opened },
      },
    ];
    const amount = opened.amount ?? '0';
    if (close?.won) events.push({ type: 'DealWon', data: { ...base, stageId: 'qualify', amount, currency: opened.currency ?? 'EUR', orderId: randomUUID(), secondsInStage: 0, wonAt: close.won } });
    if (close?.lostAt) events.push({ type: 'DealLost', data: { ...base, stageId: 'qualify', reason: 'price', secondsInStage: 0, lostAt: close.lostAt } });
    at(formatPosition((await service.infra.store.append(streamId('deal', dealId), events)).position));
  };

  beforeAll(async () => {
    service = await bootTestService(salesService, { bus });
    const stages = [
      { stageId: 'qualify', name: 'Qualify', probability: 10 },
      { stageId: 'propose', name: 'Propose', probability: 50 },
      { stageId: 'commit', name: 'Commit', probability: 90 },
    ];
    pipelineId = (await http().post('/api/v1/pipelines').send({ name: 'Seeded', stages }).expect(201)).body.id;
    const team = await http().post('/api/v1/sales-teams').send({ name: 'North' }).expect(201);
    teamId = team.body.id;
    for (const [id, name, team] of [[rita, 'Rita', teamId], [sam, 'Sam', teamId], [tom, 'Tom', undefined]] as const) {
      at((await http().post('/api/v1/sales-reps').send({ id, name, ...(team ? { teamId: team } : {}) }).expect(201)).headers['x-position']);
    }
    for (const [rep, period, amount] of [[rita, '2027-Q1', '10000'], [sam, '2027-Q1', '5000.00'], [tom, '2027-01', '1000']] as const) {
      at((await http().put(`/api/v1/sales-reps/${rep}/quotas/${period}`).send({ amount, currency: 'EUR' }).expect(200)).headers['x-position']);
    }
    await seedDeal(rita, { amount: '1000.00', expectedCloseDate: '2027-02-15' }); // D1 open, qualify 10%
    await seedDeal(rita, { amount: '2500.50', stageId: 'propose', probability: 50, expectedCloseDate: '2027-03-31' }); // D2
    await seedDeal(sam, { amount: '4000', stageId: 'commit', probability: 90, expectedCloseDate: '2027-05-01' }); // D3, Q2
    await seedDeal(rita, { amount: '6000' }, { won: '2027-01-11T00:00:00.000Z' }); // D4: won in 10 days
    await seedDeal(sam, { amount: '1234.56' }, { won: '2027-02-01T12:00:00.000Z' }); // D5: won in 31.5 days
    await seedDeal(sam, { amount: '700', openedAt: '2027-01-05T00:00:00.000Z' }, { lostAt: '2027-01-20T00:00:00.000Z' }); // D6 lost
    await seedDeal(tom, { amount: '800', openedAt: '2027-01-02T00:00:00.000Z' }, { won: '2027-01-12T00:00:00.000Z' }); // D7: 10 days
    await seedDeal(tom, { amount: '300', currency: 'USD', expectedCloseDate: '2027-01-20' }); // D8 open, another currency
  });
  afterAll(async () => {
    await service?.close();
  });

  const report = (path: string) => http().get(`/api/v1/sales-reports/${path}`).set('x-min-position', position).expect(200);

  it('reads teams, reps with their quotas, and lists them as JSON and CSV', async () => {
    const got = await http().get(`/api/v1/sales-reps/${rita}`).set('x-min-position', position).expect(200);
    expect(got.body).toMatchObject({ id: rita, name: 'Rita', teamId, quotas: [{ period: '2027-Q1', amount: '10000.00', currency: 'EUR' }] });
    const members = await http().get(`/api/v1/sales-reps?team=${teamId}&sort=-name`).set('x-min-position', position).expect(200);
    expect(members.body.items.map((r: { name: string }) => r.name)).toEqual(['Sam', 'Rita']);
    const quotas = await http().get('/api/v1/sales-quotas?period=2027-Q1&sort=-amount').set('accept', 'text/csv').set('x-min-position', position).expect(200);
    expect(quotas.text.trim().split('\r\n')).toEqual(['rep_id,period,amount,currency,set_at', expect.stringMatching(`^${rita},2027-Q1,10000.00,EUR,`), expect.stringMatching(`^${sam},2027-Q1,5000.00,EUR,`)]);
    const renamed = await http().patch(`/api/v1/sales-teams/${teamId}`).send({ name: 'North-East' }).expect(200);
    expect((await http().get(`/api/v1/sales-teams/${teamId}`).set('x-min-position', renamed.headers['x-position']).expect(200)).body.name).toBe('North-East');
    at((await http().patch(`/api/v1/sales-teams/${teamId}`).send({ name: 'North' }).expect(200)).headers['x-position']);
    const teams = await http().get('/api/v1/sales-teams?name=nor').set('x-min-position', position).expect(200);
    expect(teams.body.items).toEqual([expect.objectContaining({ id: teamId, name: 'North' })]);
    const teamsCsv = await http().get('/api/v1/sales-teams').set('accept', 'text/csv').set('x-min-position', position).expect(200);
    expect(teamsCsv.text.trim().split('\r\n')).toEqual(['id,name,created_at', expect.stringMatching(`^${teamId},North,`)]);
    const extra = randomUUID();
    await http().post('/api/v1/sales-reps').send({ id: extra, name: 'Uma', email: 'uma@example.com', teamId }).expect(201);
    const moved = await http().patch(`/api/v1/sales-reps/${extra}`).send({ name: 'Uma B', email: null, teamId: null }).expect(200);
    expect((await http().get(`/api/v1/sales-reps/${extra}`).set('x-min-position', moved.headers['x-position']).expect(200)).body).toMatchObject({ name: 'Uma B', email: null, teamId: null });
    const noTeam = await http().post('/api/v1/sales-reps').send({ name: 'Nobody', teamId: randomUUID() }).expect(422);
    expect(noTeam.body.rule).toBe('team_not_found');
    expect((await http().put(`/api/v1/sales-reps/${randomUUID()}/quotas/2027-Q1`).send({ amount: '1', currency: 'EUR' }).expect(404)).body.status).toBe(404);
  });

  it('reports the pipeline by stage: count, amount and weighted amount', async () => {
    const { body } = await report(`pipeline?pipeline=${pipelineId}`);
    const figures = body.items.map((r: Record<string, unknown>) => [r.stageOrder, r.stageId, r.currency, r.count, r.amount, r.weightedAmount]);
    expect(figures).toEqual([
      [1, 'qualify', 'EUR', 1, '1000', '100'], // 1000 x 10%
      [1, 'qualify', 'USD', 1, '300', '30'],
      [2, 'propose', 'EUR', 1, '2500.5', '1250.25'], // 2500.50 x 50%
      [3, 'commit', 'EUR', 1, '4000', '3600'],
    ]);
    expect((await report(`pipeline?pipeline=${pipelineId}&team=${teamId}&currency=EUR`)).body.items.map((r: { amount: string }) => r.amount)).toEqual(['1000', '2500.5', '4000']);
    const csv = await http().get(`/api/v1/sales-reports/pipeline?owner=${sam}`).set('accept', 'text/csv').set('x-min-position', position).expect(200);
    expect(csv.text.trim().split('\r\n')).toEqual(['pipelineId,pipelineName,stageId,stageName,stageOrder,currency,count,amount,weightedAmount', `${pipelineId},Seeded,commit,Commit,3,EUR,1,4000,3600`]);
  });

  it('forecasts per quarter and per month: pipeline, won, weighted and commit', async () => {
    const quarters = (await report('forecast?by=quarter')).body.items;
    // Q1 EUR: won 6000 + 1234.56 + 800 = 8034.56; open 1000 (10%) + 2500.50 (50%) -> weighted 8034.56 + 100 + 1250.25 = 9384.81.
    expect(quarters).toEqual([
      { period: '2027-Q1', currency: 'EUR', openCount: 2, pipeline: '3500.5', won: '8034.56', weighted: '9384.81', commit: '8034.56' },
      { period: '2027-Q1', currency: 'USD', openCount: 1, pipeline: '300', won: '0', weighted: '30', commit: '0' },
      { period: '2027-Q2', currency: 'EUR', openCount: 1, pipeline: '4000', won: '0', weighted: '3600', commit: '4000' },
    ]);
    const months = (await report(`forecast?by=month&owner=${rita}`)).body.items;
    expect(months.map((m: Record<string, unknown>) => [m.period, m.won, m.weighted])).toEqual([
      ['2027-01', '6000', '6000'],
      ['2027-02', '0', '100'],
      ['2027-03', '0', '1250.25'],
    ]);
  });

  it('reports win rate and average sales cycle per owner and per team', async () => {
    const owners = (await report('win-rates?by=owner')).body.items;
    expect(owners).toEqual([
      { id: rita, name: 'Rita', won: 1, lost: 0, winRate: '1', averageSalesCycleDays: '10' },
      { id: sam, name: 'Sam', won: 1, lost: 1, winRate: '0.5', averageSalesCycleDays: '31.5' },
      { id: tom, name: 'Tom', won: 1, lost: 0, winRate: '1', averageSalesCycleDays: '10' },
    ]);
    const teams = (await report('win-rates?by=team')).body.items;
    // North: 2 won of 3 closed; cycles 10 and 31.5 days.
    expect(teams).toEqual([
      { id: teamId, name: 'North', won: 2, lost: 1, winRate: '0.6667', averageSalesCycleDays: '20.75' },
      { id: null, name: null, won: 1, lost: 0, winRate: '1', averageSalesCycleDays: '10' },
    ]);
    expect((await report('win-rates?closedFrom=2027-01-15T00:00:00Z')).body.items.map((r: { name: string }) => r.name)).toEqual(['Sam']);
  });

  it('reports quota attainment per rep for a quarter and for a month', async () => {
    expect((await report('quota-attainment?period=2027-Q1')).body.items).toEqual([
      { repId: rita, repName: 'Rita', teamId, period: '2027-Q1', currency: 'EUR', quota: '10000', won: '6000', attainment: '0.6' },
      { repId: sam, repName: 'Sam', teamId, period: '2027-Q1', currency: 'EUR', quota: '5000', won: '1234.56', attainment: '0.2469' }, // 0.246912
    ]);
    expect((await report('quota-attainment?period=2027-01')).body.items).toEqual([
      { repId: tom, repName: 'Tom', teamId: null, period: '2027-01', currency: 'EUR', quota: '1000', won: '800', attainment: '0.8' },
    ]);
  });

  it('refuses bad report parameters with 400', async () => {
    for (const path of ['pipeline?pipeline=x', 'forecast?by=week', 'win-rates?by=region', 'win-rates?closedFrom=soon', 'quota-attainment', 'quota-attainment?period=2027-Q5', 'pipeline?currency=euro']) {
      expectProblem(await http().get(`/api/v1/sales-reports/${path}`), 400);
    }
  });
});
