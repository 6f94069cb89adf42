import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PostgresEventStore } from '@clientela/event-store';
import { createLogger, loadPlatformConfig } from '@clientela/platform';
import { ProjectionRunner } from '@clientela/projections';
import { migrateMessaging, TableDeadLetters } from '@clientela/messaging';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
// The sample projection of libs/projections' tests (not exported by the library).
import { appendSampleOrders, customerRevenueProjection, ordersCatalogue, waitForCheckpoint } from '@clientela/projections/testing';
// The CLI against this gateway, as a platform engineer runs it with --url and --api-key.
import { runCli } from '../../../../tools/cli/src/testing/run-cli';
import { createGatewayApp } from '../create-gateway-app';
import { ROUTES } from '../routing/routes';

const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnop';

describe('gateway admin operations (/api/v1/admin/...)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  let gateway: NestFastifyApplication;
  let base: string;
  let serviceKey: string;
  const category = `order${randomUUID().slice(0, 6)}`;
  const projection = customerRevenueProjection({ name: `revenue_${randomUUID().slice(0, 6)}`, categories: [category] });

  const call = async (path: string, init: { key?: string | null; method?: string; body?: unknown } = {}) => {
    const key = init.key === undefined ? ADMIN_KEY : init.key;
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(key ? { 'x-api-key': key } : {}), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: (await response.json()) as Record<string, unknown> };
  };
  const remote = (...args: string[]) => runCli([...args, '--url', base, '--api-key', ADMIN_KEY], {});

  beforeAll(async () => {
    database = await createTestDatabase('gateway_admin');
    store = await PostgresEventStore.create({ pool: database.pool(), catalogue: ordersCatalogue() });
    const last = await appendSampleOrders(store, category, 20);
    runner = new ProjectionRunner({ projection, store, pool: database.pool({ max: 6 }) });
    await runner.start();
    await waitForCheckpoint(database.pool(), projection.name, last, 60_000);
    await migrateMessaging(database.pool());
    await new TableDeadLetters(database.pool()).write({
      consumer: 'sales.orders',
      code: 'handler_failed',
      reason: 'the order names no known customer',
      attempts: 5,
      failedAt: new Date(),
      eventKey: randomUUID(),
      eventType: 'OrderPlaced',
      message: { origin: { kind: 'store', position: '1' }, key: 'k', headers: {}, value: '{"a":1}' },
    });
    gateway = await createGatewayApp(
      {
        config: {
          port: 0,
          databaseUrl: database.url,
          services: { contacts: 'http://127.0.0.1:9' },
          adminApiKey: ADMIN_KEY,
          apiKeyCacheTtlMs: 300,
          upstream: { connectTimeoutMs: 500, timeoutMs: 2_000 },
          logLevel: 'silent',
          platform: loadPlatformConfig({ DATABASE_URL: database.url }),
        },
        logger: createLogger({ name: 'gateway', level: 'silent' }),
        routes: ROUTES,
      },
      false,
    );
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    base = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
    serviceKey = (await call('/api/v1/admin/api-keys', { method: 'POST', body: { name: 'shop', role: 'service' } })).body.key as string;
  });
  afterAll(async () => {
    await gateway?.close();
    await runner?.stop();
    await store?.close();
    await database?.drop();
  });

  it('answers only an admin key: 401 without a key, 403 with a service key, as problem+json', async () => {
    for (const path of ['/api/v1/admin/streams/stats', '/api/v1/admin/projections', '/api/v1/admin/dead-letters']) {
      const none = await call(path, { key: null });
      expect({ status: none.status, type: none.type }).toEqual({ status: 401, type: expect.stringContaining('application/problem+json') });
      expect((await call(path, { key: serviceKey })).status).toBe(403);
    }
    expect((await call('/api/v1/admin/projections/x/rebuild', { method: 'POST', key: serviceKey })).status).toBe(403);
    expect((await call('/api/v1/admin/replays', { method: 'POST', key: serviceKey, body: { dryRun: true } })).status).toBe(403);
  });

  it('serves stream statistics, and the CLI prints them with --url', async () => {
    const stats = await call('/api/v1/admin/streams/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ events: 24, streams: 20, categories: [{ category, streams: 20, events: 24 }] });
    const cli = await remote('streams', 'stats');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^events +24$/m);
  });

  it('serves projection status and rebuilds through the CLI with --url', async () => {
    const list = await call('/api/v1/admin/projections');
    expect(list.body.items).toEqual([expect.objectContaining({ name: projection.name, status: 'live', lagEvents: 0 })]);
    expect((await call('/api/v1/admin/projections/nothing')).status).toBe(404);
    const rebuilt = await remote('projections', 'rebuild', projection.name, '--poll-ms', '20');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(/\| 100 % \|/);
    expect(rebuilt.stdout).toContain(`${projection.name}: new copy swapped in`);
  });

  it('lists, shows and re-drives dead letters with their reason', async () => {
    const list = await call('/api/v1/admin/dead-letters?consumer=sales.orders');
    const [letter] = list.body.items as Array<{ id: string; reason: string }>;
    expect(letter).toMatchObject({ reason: 'the order names no known customer' });
    const cli = await remote('dead-letters', 'list');
    expect(cli.stdout).toMatch(new RegExp(`^${letter.id} +sales\\.orders .*handler_failed +OrderPlaced +5 +the order names no known customer$`, 'm'));
    expect(JSON.parse((await remote('dead-letters', 'show', letter.id)).stdout)).toMatchObject({ id: letter.id, value: { a: 1 } });
    expect((await call('/api/v1/admin/dead-letters/999999')).status).toBe(404);
    expect((await remote('dead-letters', 'redrive')).code).toBe(2); // a usage error: name the letters or say --all
    expect((await remote('dead-letters', 'redrive', letter.id)).stdout).toBe('re-drove 1 dead letter\n');
    const { rows } = await database.pool().query(`select redrive_requested_at is not null as asked from messaging.dead_letters where id = $1`, [letter.id]);
    expect(rows[0].asked).toBe(true);
  });

  it('counts a replay in a dry run, refuses bad input with 400, and a real replay without Kafka clearly', async () => {
    const dry = await call('/api/v1/admin/replays', { method: 'POST', body: { categories: [category], dryRun: true, toTopic: 'orders.replay' } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, total: 24, skipped: 0, topics: { 'orders.replay': 24 } });
    // A category of no context has no topic of its own: the relay does not publish it, nor does a replay.
    const own = await call('/api/v1/admin/replays', { method: 'POST', body: { categories: [category], dryRun: true } });
    expect(own.body).toMatchObject({ total: 0, skipped: 24, topics: {} });
    const bad = await call('/api/v1/admin/replays', { method: 'POST', body: { fromPosition: 'x', rate: -1, nope: 1 } });
    expect(bad.status).toBe(400);
    const noKafka = await remote('replay', '--category', category);
    expect(noKafka.code).toBe(1);
    expect(noKafka.stderr).toContain('replay needs Kafka');
  });
});
