import { randomBytes, randomUUID } from 'node:crypto';
import { fromUnits, toUnits } from '@clientela/contracts';
import { createTestDatabase, deleteTestTopics, platformTopics, freePort, freePortRange, type TestDatabase } from '@clientela/testing';
import { busEnv, SERVICES, startPlatformProcess, type PlatformProcess } from '@clientela/launcher';

// The platform as `npm start` runs it (the launcher's command: contacts, sales and the gateway, each its
// own process) on a fresh database, driven through the gateway only, in both bus modes: a lead converted
// in contacts opens a deal in sales by itself, and the deal won becomes an order on the contact; then a
// walk over every sales route (success and each error status it documents), checked at the end against
// the sales service's own OpenAPI document, so a route added without a test here fails.
const ADMIN_KEY = 'e2e-sales-admin-key-0123456789abcdefghijklmnop';


describe.each(['standalone', 'kafka'] as const)('a converted lead becomes a deal, and the deal won an order, through the gateway (%s)', (bus) => {
  let database: TestDatabase;
  let platform: PlatformProcess | undefined;
  let base: string;
  let servicePortBase: number;
  const prefix = `t${randomBytes(4).toString('hex')}.`;

  beforeAll(async () => {
    database = await createTestDatabase('clientela_sales_e2e');
    const port = await freePort();
    base = `http://127.0.0.1:${port}/api/v1`;
    platform = await startPlatformProcess({
      DATABASE_URL: database.url,
      PORT: String(port),
      CLIENTELA_SERVICE_PORT_BASE: String((servicePortBase = (await freePortRange(SERVICES.length)) - 1)),
      ADMIN_API_KEY: ADMIN_KEY,
      ...busEnv(bus, prefix),
    });
  });

  afterAll(async () => {
    if (platform) expect(await platform.stop()).toBe(0);
    if (bus === 'kafka') await deleteTestTopics((process.env.KAFKA_BROKERS ?? '').split(','), platformTopics(prefix)).catch(() => undefined);
    await database?.drop();
  });

  const call = async (method: string, path: string, body?: object, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const json = /json/.test(response.headers.get('content-type') ?? '') && text !== '';
    return { status: response.status, headers: response.headers, text, body: json ? (JSON.parse(text) as Record<string, unknown> & { items?: Record<string, unknown>[] }) : {} };
  };
  const expectStatus = <T extends { status: number; body: unknown }>(response: T, status: number): T => {
    expect([response.status, response.body]).toEqual([status, expect.anything()]);
    return response;
  };

  it('opens a deal in the default pipeline for a converted lead, and makes the won deal an order on the contact', async () => {
    const ownerId = '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01';
    const lead = expectStatus(await call('POST', '/leads', { source: 'webinar', givenName: 'Ada', familyName: 'Lovelace', email: 'ada@e2e.example', companyName: 'Engines Ltd', acquisitionCost: { amount: '12.50', currency: 'GBP' } }), 201);
    const leadId = lead.body.id as string;
    expectStatus(await call('PUT', `/leads/${leadId}/qualification`, { status: 'qualified', score: 80 }), 200);
    const converted = expectStatus(await call('POST', `/leads/${leadId}/convert`, { ownerId }), 200);
    const contactId = converted.body.contactId as string;
    const position = converted.headers.get('x-position') ?? '0';

    // The deal is opened by sales' reaction to LeadConverted, after the conversion answered: poll for it.
    let deals: Record<string, unknown>[] = [];
    for (const deadline = Date.now() + 30_000; deals.length === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      deals = expectStatus(await call('GET', `/deals?customer=${contactId}`, undefined, { 'x-min-position': position }), 200).body.items ?? [];
    }
    expect(deals).toEqual([
      expect.objectContaining({
        customerId: contactId, accountId: converted.body.accountId, ownerId, leadId, source: 'webinar', status: 'open',
        pipelineId: '00000000-0000-4000-8000-00000000d341', stageId: 'qualify', probability: 10, amount: '0.00', currency: 'GBP',
      }),
    ]);
    const dealId = deals[0].id as string;
    const pipeline = expectStatus(await call('GET', '/pipelines/00000000-0000-4000-8000-00000000d341'), 200);
    expect(pipeline.body).toMatchObject({ name: 'Sales', stages: expect.arrayContaining([expect.objectContaining({ stageId: 'qualify', probability: 10 })]) });

    const priced = expectStatus(await call('PATCH', `/deals/${dealId}`, { lines: [{ productId: 'engine', quantity: 2, unitPrice: '1500.25', discount: '0.50' }] }), 200);
    const moved = expectStatus(await call('POST', `/deals/${dealId}/stage`, { stageId: 'propose' }, { 'if-match': priced.headers.get('etag') ?? '' }), 200);
    const won = expectStatus(await call('POST', `/deals/${dealId}/win`, { reason: 'signed' }, { 'if-match': moved.headers.get('etag') ?? '' }), 200);
    const wonAt = won.headers.get('x-position') ?? '0';
    const orders = expectStatus(await call('GET', `/orders?customer=${contactId}`, undefined, { 'x-min-position': wonAt }), 200);
    expect(orders.body.items).toEqual([expect.objectContaining({ customerId: contactId, source: 'deal', dealId, amount: '3000.00', net: '3000.00', currency: 'GBP', status: 'placed' })]);
    const revenue = expectStatus(await call('GET', `/customer-revenue/${contactId}`, undefined, { 'x-min-position': wonAt }), 200);
    expect(revenue.body.revenue).toEqual([expect.objectContaining({ orderCount: 1, gross: '3000.00', net: '3000.00', currency: 'GBP' })]);

    // A second conversion request is a replay in contacts and opens no second deal.
    expectStatus(await call('POST', `/leads/${leadId}/convert`, { ownerId }), 200);
    const again = expectStatus(await call('GET', `/deals?customer=${contactId}`, undefined, { 'x-min-position': wonAt }), 200);
    expect(again.body.items).toHaveLength(1);
  });

  it('serves the sales routes in the merged OpenAPI document', async () => {
    const response = await fetch(`${base.replace('/api/v1', '')}/api/docs-json`, { headers: { 'x-api-key': ADMIN_KEY } });
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/v1/deals', '/api/v1/deals/{id}/win', '/api/v1/pipelines', '/api/v1/orders', '/api/v1/customer-revenue/{customerId}', '/api/v1/leads']));
  });

  // The walk over every sales route. Each call names its route as the OpenAPI document does; the last
  // test compares the walked routes with the document. Later tests use what earlier ones made.
  const walked = new Map<string, Set<number>>();
  const missing = '4a4b5c6d-0000-4000-8000-000000000000';
  const wanda = randomUUID();
  const customer = randomUUID();
  let position = '0';
  let pipelineId: string;
  let teamId: string;
  const deal: Record<'lead' | 'kit' | 'won' | 'lost', string> = { lead: '', kit: '', won: '', lost: '' };
  const now = new Date();
  const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;

  type Answer = Awaited<ReturnType<typeof call>>;
  const hit = async (route: string, status: number, options: { params?: Record<string, string>; query?: string; body?: object; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const [method, template] = route.split(' ');
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => options.params?.[name] ?? `{${name}}`) + (options.query ? `?${options.query}` : '');
    const response = await call(method, path, options.body, options.headers);
    expect([route, path, response.status, response.status === status ? '' : response.text]).toEqual([route, path, status, '']);
    if (status >= 400) expect([route, response.headers.get('content-type')]).toEqual([route, expect.stringMatching(/^application\/problem\+json/)]);
    walked.set(route, (walked.get(route) ?? new Set<number>()).add(status));
    const written = response.headers.get('x-position');
    if (written && BigInt(written) > BigInt(position)) position = written;
    return response;
  };
  /** Reads after the walk's writes (X-Min-Position), as JSON or CSV. */
  const fresh = () => ({ 'x-min-position': position });
  const asCsv = () => ({ ...fresh(), accept: 'text/csv' });
  const lines = (answer: Answer) => answer.text.trim().split('\r\n');
  const names = (answer: Answer) => (answer.body.items ?? []).map((item) => item.name);
  const etag = (answer: Answer) => answer.headers.get('etag') ?? '';

  it('walks the pipeline routes: create (a retry answers the first), read, change, list, page, export; 400, 404, 412, 422', async () => {
    const stages = [{ stageId: 'lead', name: 'Lead', probability: 25 }, { stageId: 'deal', name: 'Deal', probability: 75 }];
    const created = await hit('POST /pipelines', 201, { body: { name: 'Walk', stages }, headers: { 'idempotency-key': `walk-${bus}` } });
    pipelineId = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/api/v1/pipelines/${pipelineId}`);
    expect((await hit('POST /pipelines', 201, { body: { name: 'Walk', stages }, headers: { 'idempotency-key': `walk-${bus}` } })).body).toEqual(created.body);
    await hit('POST /pipelines', 201, { body: { name: 'Walk other', stages: [stages[0]] } });
    await hit('POST /pipelines', 400, { body: { name: 'Bad', stages: [{ stageId: 'x', name: 'X', probability: 101 }] } });
    expect((await hit('POST /pipelines', 422, { body: { name: 'Twice', stages: [stages[0], stages[0]] } })).body.rule).toBe('duplicate_stage');

    const got = await hit('GET /pipelines/{id}', 200, { params: { id: pipelineId }, headers: fresh() });
    expect(got.body).toMatchObject({ id: pipelineId, name: 'Walk', stages });
    await hit('PATCH /pipelines/{id}', 200, { params: { id: pipelineId }, body: { name: 'Walk pipeline' }, headers: { 'if-match': etag(got) } });
    await hit('PATCH /pipelines/{id}', 412, { params: { id: pipelineId }, body: { name: 'Stale' }, headers: { 'if-match': etag(got) } });
    expect((await hit('PATCH /pipelines/{id}', 422, { params: { id: pipelineId }, body: { stages: [stages[0]] } })).body.rule).toBe('stage_removed');
    await hit('PATCH /pipelines/{id}', 404, { params: { id: missing }, body: { name: 'Nowhere' } });
    await hit('PATCH /pipelines/{id}', 400, { params: { id: pipelineId }, body: { name: '' } });
    await hit('GET /pipelines/{id}', 404, { params: { id: missing } });
    await hit('GET /pipelines/{id}', 400, { params: { id: 'nope' } });

    const first = await hit('GET /pipelines', 200, { query: 'name=walk&sort=name&limit=1', headers: fresh() });
    const second = await hit('GET /pipelines', 200, { query: `name=walk&sort=name&limit=1&cursor=${first.body.nextCursor}`, headers: fresh() });
    expect([...names(first), ...names(second), second.body.nextCursor]).toEqual(['Walk other', 'Walk pipeline', undefined]);
    const csv = await hit('GET /pipelines', 200, { query: 'name=walk&sort=-name', headers: asCsv() });
    expect(lines(csv).map((line) => line.split(',').slice(1, 5).join(','))).toEqual(['pipeline_name,stage_order,stage_id,stage_name', 'Walk pipeline,1,lead,Lead', 'Walk pipeline,2,deal,Deal', 'Walk other,1,lead,Lead']);
    await hit('GET /pipelines', 400, { query: 'sort=amount' });
  });

  it('walks the team, rep and quota routes: create, read, change, list, page, export; 400, 404, 409, 412, 422', async () => {
    const team = await hit('POST /sales-teams', 201, { body: { name: 'Walkers first' } });
    teamId = team.body.id as string;
    await hit('POST /sales-teams', 201, { body: { name: 'Walkers second' } });
    await hit('POST /sales-teams', 400, { body: { name: 42 } });
    expect((await hit('POST /sales-teams', 422, { body: { name: '   ' } })).body.rule).toBe('team_needs_name');
    await hit('PATCH /sales-teams/{id}', 200, { params: { id: teamId }, body: { name: 'Walkers' }, headers: { 'if-match': etag(team) } });
    await hit('PATCH /sales-teams/{id}', 412, { params: { id: teamId }, body: { name: 'Stale' }, headers: { 'if-match': etag(team) } });
    await hit('PATCH /sales-teams/{id}', 404, { params: { id: missing }, body: { name: 'Nobody' } });
    await hit('PATCH /sales-teams/{id}', 400, { params: { id: teamId }, body: { name: null } });
    expect((await hit('PATCH /sales-teams/{id}', 422, { params: { id: teamId }, body: { name: ' ' } })).body.rule).toBe('team_needs_name');
    expect((await hit('GET /sales-teams/{id}', 200, { params: { id: teamId }, headers: fresh() })).body).toMatchObject({ id: teamId, name: 'Walkers' });
    await hit('GET /sales-teams/{id}', 404, { params: { id: missing } });
    await hit('GET /sales-teams/{id}', 400, { params: { id: 'nope' } });
    const firstTeam = await hit('GET /sales-teams', 200, { query: 'name=walk&sort=-name&limit=1', headers: fresh() });
    const secondTeam = await hit('GET /sales-teams', 200, { query: `name=walk&sort=-name&limit=1&cursor=${firstTeam.body.nextCursor}`, headers: fresh() });
    expect([...names(firstTeam), ...names(secondTeam)]).toEqual(['Walkers second', 'Walkers']);
    expect(lines(await hit('GET /sales-teams', 200, { query: 'name=walk', headers: asCsv() })).map((line) => line.split(',')[1])).toEqual(['name', 'Walkers', 'Walkers second']);
    await hit('GET /sales-teams', 400, { query: 'sort=size' });

    await hit('POST /sales-reps', 201, { body: { id: wanda, name: 'Wanda', email: 'wanda@example.com', teamId } });
    await hit('POST /sales-reps', 409, { body: { id: wanda, name: 'Wanda again' } });
    expect((await hit('POST /sales-reps', 422, { body: { name: 'Nobody', teamId: missing } })).body.rule).toBe('team_not_found');
    await hit('POST /sales-reps', 400, { body: { name: 'Bad', email: 'not-an-email' } });
    const walt = (await hit('POST /sales-reps', 201, { body: { name: 'Walt', teamId } })).body.id as string;
    const rep = await hit('GET /sales-reps/{id}', 200, { params: { id: walt }, headers: fresh() });
    expect(rep.body).toMatchObject({ id: walt, name: 'Walt', teamId, email: null, quotas: [] });
    await hit('GET /sales-reps/{id}', 404, { params: { id: missing } });
    await hit('GET /sales-reps/{id}', 400, { params: { id: 'nope' } });
    await hit('PATCH /sales-reps/{id}', 200, { params: { id: walt }, body: { email: 'walt@example.com' }, headers: { 'if-match': etag(rep) } });
    await hit('PATCH /sales-reps/{id}', 412, { params: { id: walt }, body: { name: 'Stale' }, headers: { 'if-match': etag(rep) } });
    await hit('PATCH /sales-reps/{id}', 404, { params: { id: missing }, body: { name: 'Nobody' } });
    await hit('PATCH /sales-reps/{id}', 400, { params: { id: walt }, body: { email: 'walt' } });
    expect((await hit('PATCH /sales-reps/{id}', 422, { params: { id: walt }, body: { teamId: missing } })).body.rule).toBe('team_not_found');

    await hit('PUT /sales-reps/{id}/quotas/{period}', 200, { params: { id: wanda, period: quarter }, body: { amount: '2000', currency: 'EUR' } });
    await hit('PUT /sales-reps/{id}/quotas/{period}', 200, { params: { id: walt, period: '2027-01' }, body: { amount: '10.50', currency: 'EUR' } });
    await hit('PUT /sales-reps/{id}/quotas/{period}', 404, { params: { id: missing, period: quarter }, body: { amount: '1', currency: 'EUR' } });
    await hit('PUT /sales-reps/{id}/quotas/{period}', 400, { params: { id: wanda, period: '2027-Q5' }, body: { amount: '1', currency: 'EUR' } });
    await hit('PUT /sales-reps/{id}/quotas/{period}', 400, { params: { id: wanda, period: quarter }, body: { amount: 1, currency: 'EUR' } });
    await hit('PUT /sales-reps/{id}/quotas/{period}', 412, { params: { id: walt, period: quarter }, body: { amount: '1', currency: 'EUR' }, headers: { 'if-match': etag(rep) } });

    const firstRep = await hit('GET /sales-reps', 200, { query: `team=${teamId}&sort=name&limit=1`, headers: fresh() });
    const secondRep = await hit('GET /sales-reps', 200, { query: `team=${teamId}&sort=name&limit=1&cursor=${firstRep.body.nextCursor}`, headers: fresh() });
    expect([...names(firstRep), ...names(secondRep), secondRep.body.nextCursor]).toEqual(['Walt', 'Wanda', undefined]);
    expect(lines(await hit('GET /sales-reps', 200, { query: `team=${teamId}&sort=-name`, headers: asCsv() }))).toEqual([
      expect.stringMatching(/^id,name,email,team_id,/),
      expect.stringMatching(`^${wanda},Wanda,wanda@example.com,${teamId},`),
      expect.stringMatching(`^${walt},Walt,walt@example.com,${teamId},`),
    ]);
    await hit('GET /sales-reps', 400, { query: 'team=x' });
    const quotas = await hit('GET /sales-quotas', 200, { query: `rep=${wanda}`, headers: fresh() });
    expect(quotas.body.items).toEqual([expect.objectContaining({ repId: wanda, period: quarter, amount: '2000.00', currency: 'EUR' })]);
    const firstQuota = await hit('GET /sales-quotas', 200, { query: 'sort=-amount&limit=1', headers: fresh() });
    const secondQuota = await hit('GET /sales-quotas', 200, { query: `sort=-amount&limit=1&cursor=${firstQuota.body.nextCursor}`, headers: fresh() });
    expect([...(firstQuota.body.items ?? []), ...(secondQuota.body.items ?? [])].map((q) => q.amount)).toEqual(['2000.00', '10.50']);
    expect(lines(await hit('GET /sales-quotas', 200, { query: 'sort=period', headers: asCsv() })).slice(1).map((line) => line.split(',').slice(0, 4).join(','))).toEqual([
      `${walt},2027-01,10.50,EUR`,
      `${wanda},${quarter},2000.00,EUR`,
    ].sort((a, b) => a.split(',')[1].localeCompare(b.split(',')[1])));
    await hit('GET /sales-quotas', 400, { query: 'period=2027' });
  });

  it('walks the deal routes: open, read, change, move, win, lose, reopen, list, page, export; 400, 404, 412, 422', async () => {
    const open = (body: object) => hit('POST /deals', 201, { body: { customerId: customer, pipelineId, currency: 'EUR', ownerId: wanda, ...body } });
    const lead = await open({ name: 'W1 lead', amount: '1000.00', expectedCloseDate: '2027-02-10' });
    deal.lead = lead.body.id as string;
    expect(lead.headers.get('location')).toBe(`/api/v1/deals/${deal.lead}`);
    // 2 x 99.99 - 0.98 = 199.00
    deal.kit = (await open({ name: 'W2 kit', stageId: 'deal', expectedCloseDate: '2027-02-20', lines: [{ productId: 'kit', quantity: 2, unitPrice: '99.99', discount: '0.98' }] })).body.id as string;
    deal.won = (await open({ name: 'W3 won', amount: '500' })).body.id as string;
    deal.lost = (await open({ name: 'W4 lost', amount: '300' })).body.id as string;
    await hit('POST /deals', 400, { body: { name: 'Float', customerId: customer, pipelineId, currency: 'EUR', amount: 12.5 } });
    const refusal = async (body: object) => (await hit('POST /deals', 422, { body: { name: 'Refused', customerId: customer, pipelineId, currency: 'EUR', ...body } })).body.rule;
    expect(await refusal({ stageId: 'closing' })).toBe('stage_not_in_pipeline');
    expect(await refusal({ pipelineId: missing })).toBe('pipeline_not_found');
    expect(await refusal({ lines: [{ productId: 'a', quantity: 1, unitPrice: '5', currency: 'USD' }] })).toBe('currency_mismatch');

    const kit = await hit('GET /deals/{id}', 200, { params: { id: deal.kit }, headers: fresh() });
    expect(kit.body).toMatchObject({ id: deal.kit, name: 'W2 kit', amount: '199.00', currency: 'EUR', stageId: 'deal', probability: 75, lines: [{ productId: 'kit', quantity: 2, total: '199.00' }] });
    await hit('GET /deals/{id}', 404, { params: { id: missing } });
    await hit('GET /deals/{id}', 400, { params: { id: 'nope' } });
    await hit('PATCH /deals/{id}', 200, { params: { id: deal.kit }, body: { name: 'W2 kit deal' }, headers: { 'if-match': etag(kit) } });
    await hit('PATCH /deals/{id}', 412, { params: { id: deal.kit }, body: { name: 'Stale' }, headers: { 'if-match': etag(kit) } });
    await hit('PATCH /deals/{id}', 404, { params: { id: missing }, body: { name: 'Nowhere' } });
    await hit('PATCH /deals/{id}', 400, { params: { id: deal.kit }, body: { amount: 5 } });
    expect((await hit('PATCH /deals/{id}', 422, { params: { id: deal.kit }, body: { currency: 'USD' } })).body.rule).toBe('currency_mismatch');

    const won = await hit('GET /deals/{id}', 200, { params: { id: deal.won }, headers: fresh() });
    await hit('POST /deals/{id}/stage', 200, { params: { id: deal.won }, body: { stageId: 'deal' }, headers: { 'if-match': etag(won) } });
    await hit('POST /deals/{id}/stage', 412, { params: { id: deal.won }, body: { stageId: 'lead' }, headers: { 'if-match': etag(won) } });
    expect((await hit('POST /deals/{id}/stage', 422, { params: { id: deal.won }, body: { stageId: 'nowhere' } })).body.rule).toBe('stage_not_in_pipeline');
    await hit('POST /deals/{id}/stage', 404, { params: { id: missing }, body: { stageId: 'lead' } });
    await hit('POST /deals/{id}/stage', 400, { params: { id: deal.won }, body: { stageId: 'Not An Id' } });
    const first = await hit('POST /deals/{id}/win', 200, { params: { id: deal.won }, body: { reason: 'signed' } });
    expect((await hit('POST /deals/{id}/win', 200, { params: { id: deal.won }, body: {} })).body.revision).toBe(first.body.revision);
    await hit('POST /deals/{id}/win', 412, { params: { id: deal.won }, body: {}, headers: { 'if-match': etag(won) } });
    await hit('POST /deals/{id}/win', 404, { params: { id: missing }, body: {} });
    await hit('POST /deals/{id}/win', 400, { params: { id: deal.won }, body: { reason: 7 } });
    expect((await hit('POST /deals/{id}/lose', 422, { params: { id: deal.won }, body: { reason: 'too late' } })).body.rule).toBe('deal_closed');

    await hit('POST /deals/{id}/lose', 200, { params: { id: deal.lost }, body: { reason: 'price' } });
    await hit('POST /deals/{id}/lose', 400, { params: { id: deal.lost }, body: {} });
    await hit('POST /deals/{id}/lose', 404, { params: { id: missing }, body: { reason: 'price' } });
    await hit('POST /deals/{id}/lose', 412, { params: { id: deal.lost }, body: { reason: 'price' }, headers: { 'if-match': '"0"' } });
    expect((await hit('POST /deals/{id}/stage', 422, { params: { id: deal.lost }, body: { stageId: 'deal' } })).body.rule).toBe('deal_closed');
    expect((await hit('POST /deals/{id}/win', 422, { params: { id: deal.lost }, body: {} })).body.rule).toBe('deal_closed');
    expect((await hit('PATCH /deals/{id}', 422, { params: { id: deal.lost }, body: { name: 'Renamed' } })).body.rule).toBe('deal_closed');
    const lost = await hit('GET /deals/{id}', 200, { params: { id: deal.lost }, headers: fresh() });
    expect(lost.body).toMatchObject({ status: 'lost', closeReason: 'price' });
    await hit('POST /deals/{id}/reopen', 200, { params: { id: deal.lost }, body: { reason: 'budget back' }, headers: { 'if-match': etag(lost) } });
    await hit('POST /deals/{id}/reopen', 412, { params: { id: deal.lost }, body: {}, headers: { 'if-match': etag(lost) } });
    await hit('POST /deals/{id}/reopen', 404, { params: { id: missing }, body: {} });
    await hit('POST /deals/{id}/reopen', 400, { params: { id: deal.lost }, body: { reason: '' } });
    await hit('POST /deals/{id}/lose', 200, { params: { id: deal.lost }, body: { reason: 'price again' } });

    const firstPage = await hit('GET /deals', 200, { query: `pipeline=${pipelineId}&sort=-amount&limit=2`, headers: fresh() });
    const secondPage = await hit('GET /deals', 200, { query: `pipeline=${pipelineId}&sort=-amount&limit=2&cursor=${firstPage.body.nextCursor}`, headers: fresh() });
    expect([...names(firstPage), ...names(secondPage), secondPage.body.nextCursor]).toEqual(['W1 lead', 'W3 won', 'W4 lost', 'W2 kit deal', undefined]);
    expect(names(await hit('GET /deals', 200, { query: `pipeline=${pipelineId}&status=open&sort=name`, headers: fresh() }))).toEqual(['W1 lead', 'W2 kit deal']);
    const csv = lines(await hit('GET /deals', 200, { query: `pipeline=${pipelineId}&sort=amount`, headers: asCsv() })).map((line) => line.split(','));
    const column = (name: string) => csv.slice(1).map((row) => row[csv[0].indexOf(name)]);
    expect([column('name'), column('amount'), column('status')]).toEqual([
      ['W2 kit deal', 'W4 lost', 'W3 won', 'W1 lead'],
      ['199.00', '300.00', '500.00', '1000.00'],
      ['open', 'lost', 'won', 'open'],
    ]);
    await hit('GET /deals', 400, { query: 'sort=revenue' });
  });

  it('walks the order and customer revenue routes: won deals and orders ingested through contacts, refunds netted; 400, 404', async () => {
    // An order and its partial refund from a shop, through contacts' ingest at the gateway: 2 x 20.00, 15.50 back.
    const shop = { source: 'shop', occurredAt: '2026-11-30T10:00:00Z', customer: { externalId: `walker-${bus}` } };
    const ingested = await call('POST', '/events', [
      { ...shop, id: 'walk-order-1', type: 'OrderPlaced', data: { orderId: 'W-1', lines: [{ sku: 'boots', quantity: 2, unitPrice: 20 }], amount: 40, currency: 'EUR' } },
      { ...shop, id: 'walk-refund-1', type: 'OrderRefunded', data: { orderId: 'W-1', amount: 15.5, currency: 'EUR', reason: 'one pair too small' } },
    ]);
    expect([ingested.status, ingested.body.accepted]).toEqual([200, 2]);
    const walker = (ingested.body.results as Array<{ contactId: string }>)[0].contactId;
    position = ingested.headers.get('x-position') ?? position;

    const fromShop = await hit('GET /orders', 200, { query: `customer=${walker}`, headers: fresh() });
    expect(fromShop.body.items).toEqual([expect.objectContaining({ customerId: walker, source: 'shop', sourceOrderId: 'W-1', currency: 'EUR', status: 'placed' })]);
    const shopOrder = fromShop.body.items![0] as { id: string; amount: string; refunded: string; net: string };
    expect([shopOrder.amount, shopOrder.refunded, shopOrder.net].map((amount) => fromUnits(toUnits(amount)))).toEqual(['40.00', '15.50', '24.50']);
    const fromDeal = await hit('GET /orders', 200, { query: `deal=${deal.won}`, headers: fresh() });
    expect(fromDeal.body.items).toEqual([expect.objectContaining({ customerId: customer, source: 'deal', dealId: deal.won, amount: '500.00', net: '500.00', status: 'placed' })]);
    const orderId = fromDeal.body.items![0].id as string;
    expect((await hit('GET /orders/{id}', 200, { params: { id: orderId }, headers: fresh() })).body).toMatchObject({ id: orderId, dealId: deal.won, amount: '500.00' });
    await hit('GET /orders/{id}', 404, { params: { id: missing } });
    await hit('GET /orders/{id}', 400, { params: { id: 'nope' } });
    const firstOrder = await hit('GET /orders', 200, { query: 'currency=EUR&sort=-amount&limit=1', headers: fresh() });
    const secondOrder = await hit('GET /orders', 200, { query: `currency=EUR&sort=-amount&limit=1&cursor=${firstOrder.body.nextCursor}`, headers: fresh() });
    // The EUR orders of this platform: the won deal's 500.00 and the shop's 40.00.
    expect([...(firstOrder.body.items ?? []), ...(secondOrder.body.items ?? [])].map((o) => o.source)).toEqual(['deal', 'shop']);
    expect(secondOrder.body.nextCursor).toBeUndefined();
    expect(lines(await hit('GET /orders', 200, { query: `customer=${walker}`, headers: asCsv() }))).toEqual([
      'id,customer_id,source,source_order_id,deal_id,amount,refunded,net,currency,line_count,status,placed_at,cancelled_at',
      expect.stringMatching(`^${shopOrder.id},${walker},shop,W-1,,[0-9.]+,[0-9.]+,24.50,EUR,1,placed,2026-11-30T10:00:00.000Z,$`),
    ]);
    await hit('GET /orders', 400, { query: 'status=shipped' });

    const revenue = await hit('GET /customer-revenue/{customerId}', 200, { params: { customerId: walker }, headers: fresh() });
    expect(revenue.body.revenue).toEqual([expect.objectContaining({ currency: 'EUR', orderCount: 1 })]);
    const [walkerRevenue] = revenue.body.revenue as Array<{ gross: string; refunded: string; net: string }>;
    expect([walkerRevenue.gross, walkerRevenue.refunded, walkerRevenue.net].map((amount) => fromUnits(toUnits(amount)))).toEqual(['40.00', '15.50', '24.50']);
    await hit('GET /customer-revenue/{customerId}', 400, { params: { customerId: 'nope' } });
    const firstCustomer = await hit('GET /customer-revenue', 200, { query: 'currency=EUR&sort=-net&limit=1', headers: fresh() });
    const secondCustomer = await hit('GET /customer-revenue', 200, { query: `currency=EUR&sort=-net&limit=1&cursor=${firstCustomer.body.nextCursor}`, headers: fresh() });
    expect([...(firstCustomer.body.items ?? []), ...(secondCustomer.body.items ?? [])].map((r) => r.customerId)).toEqual([customer, walker]);
    const csv = lines(await hit('GET /customer-revenue', 200, { query: 'currency=EUR&sort=net', headers: asCsv() }));
    expect(csv[0]).toBe('customer_id,currency,order_count,gross,refunded,net,first_order_at,last_order_at');
    expect(csv.filter((line) => line.startsWith(`${walker},`) || line.startsWith(`${customer},`)).map((line) => line.split(',').slice(0, 3).join(','))).toEqual([`${walker},EUR,1`, `${customer},EUR,1`]);
    await hit('GET /customer-revenue', 400, { query: 'sort=name' });
  });

  it('walks the report routes, whose figures for the walk\'s pipeline are computed by hand; 400', async () => {
    const report = (route: string, query: string, csv = false) => hit(`GET /sales-reports/${route}`, 200, { query, headers: csv ? asCsv() : fresh() });
    // Open: W1 1,000.00 in lead (25 %) -> 250; W2 199.00 in deal (75 %) -> 149.25.
    const stages = (await report('pipeline', `pipeline=${pipelineId}`)).body.items!.map((r) => [r.stageId, r.currency, r.count, r.amount, r.weightedAmount]);
    expect(stages).toEqual([['lead', 'EUR', 1, '1000', '250'], ['deal', 'EUR', 1, '199', '149.25']]);
    expect(lines(await report('pipeline', `pipeline=${pipelineId}&owner=${wanda}`, true)).map((line) => line.split(',').slice(2).join(','))).toEqual([
      'stageId,stageName,stageOrder,currency,count,amount,weightedAmount',
      'lead,Lead,1,EUR,1,1000,250',
      'deal,Deal,2,EUR,1,199,149.25',
    ]);
    await hit('GET /sales-reports/pipeline', 400, { query: 'pipeline=x' });

    // W3 won 500.00 in the month it was won; W1 and W2 close in 2027-02: pipeline 1,199, weighted 399.25, nothing at 90 % or more.
    const wonAt = (await hit('GET /deals/{id}', 200, { params: { id: deal.won }, headers: fresh() })).body.closedAt as string;
    const months = (await report('forecast', `by=month&owner=${wanda}`)).body.items;
    expect(months).toEqual(
      [
        { period: wonAt.slice(0, 7), currency: 'EUR', openCount: 0, pipeline: '0', won: '500', weighted: '500', commit: '500' },
        { period: '2027-02', currency: 'EUR', openCount: 2, pipeline: '1199', won: '0', weighted: '399.25', commit: '0' },
      ].sort((a, b) => a.period.localeCompare(b.period)),
    );
    expect(lines(await report('forecast', `by=quarter&owner=${wanda}&pipeline=${pipelineId}`, true))[0]).toBe('period,currency,openCount,pipeline,won,weighted,commit');
    await hit('GET /sales-reports/forecast', 400, { query: 'by=week' });

    // Wanda: W3 won, W4 lost -> 1 of 2.
    const owners = (await report('win-rates', `by=owner&pipeline=${pipelineId}`)).body.items;
    expect(owners).toEqual([expect.objectContaining({ id: wanda, name: 'Wanda', won: 1, lost: 1, winRate: '0.5' })]);
    expect((await report('win-rates', `by=team&pipeline=${pipelineId}`)).body.items).toEqual([expect.objectContaining({ id: teamId, name: 'Walkers', won: 1, lost: 1, winRate: '0.5' })]);
    expect(lines(await report('win-rates', `by=owner&pipeline=${pipelineId}`, true))).toEqual(['id,name,won,lost,winRate,averageSalesCycleDays', expect.stringMatching(`^${wanda},Wanda,1,1,0.5,`)]);
    await hit('GET /sales-reports/win-rates', 400, { query: 'by=region' });

    // Wanda's quota this quarter: 2,000.00; won 500.00 -> 0.25.
    const attainment = (await report('quota-attainment', `period=${quarter}`)).body.items;
    expect(attainment).toEqual([{ repId: wanda, repName: 'Wanda', teamId, period: quarter, currency: 'EUR', quota: '2000', won: '500', attainment: '0.25' }]);
    expect(lines(await report('quota-attainment', 'period=2027-01', true)).slice(1)).toEqual([expect.stringMatching(/,2027-01,EUR,10.5,0,0$/)]);
    await hit('GET /sales-reports/quota-attainment', 400, { query: '' });
  });

  it('has walked every sales route, each with a success', async () => {
    // The sales service's own document (the launcher puts sales second: base + 2), not the gateway's merged one.
    const document = (await (await fetch(`http://127.0.0.1:${servicePortBase + 2}/api/docs-json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.slice('/api/v1'.length)}`));
    expect(routes).toHaveLength(30);
    expect(routes.filter((route) => !walked.has(route))).toEqual([]);
    expect(routes.filter((route) => ![...(walked.get(route) ?? [])].some((status) => status < 300))).toEqual([]);
    expect([...walked.keys()].filter((route) => !routes.includes(route))).toEqual([]);
  });
});
