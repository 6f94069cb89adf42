import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { contextTopic, deadLetterTopic } from '@clientela/contracts';
import { createTestDatabase, deleteTestTopics, freePort, type TestDatabase } from '@clientela/testing';

// The platform as `npm start` runs it (the launcher's command: contacts, sales and the gateway, each its
// own process) on a fresh database, driven through the gateway only: a lead converted in contacts opens a
// deal in sales by itself; the deal won becomes an order on the contact. In both bus modes.
const ROOT = join(__dirname, '..', '..', '..');
const ADMIN_KEY = 'e2e-sales-admin-key-0123456789abcdefghijklmnop';

interface Platform {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

const startPlatform = async (env: Record<string, string>): Promise<Platform> => {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['BUS', 'KAFKA_TOPIC_PREFIX', 'EVENT_STORE'].includes(k)));
  const child = spawn(process.execPath, ['tools/launcher/start.js'], { cwd: ROOT, env: { ...inherited, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (const deadline = Date.now() + 90_000; !output.includes('Ctrl-C stops everything'); await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null) throw new Error(`the platform ended early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the platform was not ready in 90 s:\n${output}`);
  }
  return { child, exited, output: () => output };
};

describe.each(['standalone', 'kafka'] as const)('a converted lead becomes a deal, and the deal won an order, through the gateway (%s)', (bus) => {
  let database: TestDatabase;
  let platform: Platform | undefined;
  let base: string;
  const prefix = `t${randomBytes(4).toString('hex')}.`;

  beforeAll(async () => {
    database = await createTestDatabase('clientela_sales_e2e');
    const port = await freePort();
    base = `http://127.0.0.1:${port}/api/v1`;
    platform = await startPlatform({
      DATABASE_URL: database.url,
      PORT: String(port),
      CLIENTELA_SERVICE_PORT_BASE: String((await freePort()) + 10),
      ADMIN_API_KEY: ADMIN_KEY,
      BUS: bus,
      ...(bus === 'kafka' ? { KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '', KAFKA_TOPIC_PREFIX: prefix } : {}),
    });
  });

  afterAll(async () => {
    if (platform && platform.child.exitCode === null) {
      process.kill(-platform.child.pid!, 'SIGINT');
      expect(await platform.exited).toBe(0);
    }
    if (bus === 'kafka') {
      const topics = (['contacts', 'sales', 'analytics'] as const).map((c) => `${prefix}${contextTopic(c)}`);
      await deleteTestTopics((process.env.KAFKA_BROKERS ?? '').split(','), topics.flatMap((t) => [t, deadLetterTopic(t)])).catch(() => undefined);
    }
    await database?.drop();
  });

  const call = async (method: string, path: string, body?: object, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown> & { items?: Record<string, unknown>[] }) : {} };
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
});
