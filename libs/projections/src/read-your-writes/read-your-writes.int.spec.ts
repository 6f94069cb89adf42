import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Inject, Module, Param, Post } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Pool } from 'pg';
import request from 'supertest';
import { streamId } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { ProblemDetailsFilter } from '@clientela/platform';
import { useTestWorld } from '@clientela/testing';
import { ProjectionRunner } from '../projection-runner';
import { schemaOf } from '../projection';
import { customerRevenueProjection, ordersCatalogue } from '../testing/sample-orders';
import { CHECKPOINT_CHANNEL } from '../registry';
import { ProjectionPositionWaiter } from './projection-position-waiter';
import { ReadYourWrites, ReadYourWritesModule } from './read-your-writes';

const PROJECTION = 'ryw_revenue';
// Long enough that other tests' write transactions in the same cluster (which hold every reader's horizon) do not make a read wait past it.
const TIMEOUT_MS = 5_000;
const POOL = Symbol('pool');
const STORE = Symbol('store');

@Controller('orders')
class OrdersController {
  constructor(@Inject(STORE) private readonly store: PostgresEventStore) {}

  @Post()
  async place(@Body() body: { customerId: string; amount: number }) {
    const { position } = await this.store.append(streamId('order'), [
      { type: 'OrderPlaced', data: { orderId: randomUUID(), customerId: body.customerId, amount: body.amount, currency: 'USD', items: 1, placedAt: new Date().toISOString() } },
    ]);
    return { position: position.toString() };
  }
}

@Controller('customers')
class CustomersController {
  constructor(@Inject(POOL) private readonly pool: Pool) {}

  @Get(':id/revenue')
  @ReadYourWrites(PROJECTION)
  async revenue(@Param('id') id: string) {
    const { rows } = await this.pool.query<{ orders: string }>(
      `select orders::text from ${schemaOf({ name: PROJECTION })}.customer_revenue where customer_id = $1`,
      [id],
    );
    return { orders: Number(rows[0]?.orders ?? 0) };
  }
}

describe('read-your-writes over HTTP (X-Min-Position)', () => {
  const world = useTestWorld({ name: 'projections_ryw', pool: { max: 12 }, store: (pool) => PostgresEventStore.create({ pool, catalogue: ordersCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    ({ pool, store } = world);
    runner = new ProjectionRunner({ projection: customerRevenueProjection({ name: PROJECTION }), store, pool, batchSize: 100 });
    await runner.start();

    @Module({
      imports: [ReadYourWritesModule.forRoot({ pool, timeoutMs: TIMEOUT_MS })],
      controllers: [OrdersController, CustomersController],
      providers: [
        { provide: POOL, useValue: pool },
        { provide: STORE, useValue: store },
      ],
    })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    app.useGlobalFilters(new ProblemDetailsFilter(app.get(HttpAdapterHost)));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    world.onCleanup(() => runner.stop());
    world.onCleanup(() => app.close());
  });

  it('sees its own write every time, under concurrent writes', async () => {
    let writing = true;
    const noise = Array.from({ length: 3 }, async (_, w) => {
      while (writing) await request(app.getHttpServer()).post('/orders').send({ customerId: `noise-${w}`, amount: 1 }).expect(201);
    });
    const customer = `c-${randomUUID()}`;
    for (let i = 1; i <= 100; i++) {
      const write = await request(app.getHttpServer()).post('/orders').send({ customerId: customer, amount: 10 }).expect(201);
      const read = await request(app.getHttpServer())
        .get(`/customers/${customer}/revenue`)
        .set('X-Min-Position', write.body.position as string)
        .expect(200);
      expect(read.body.orders).toBe(i);
    }
    writing = false;
    await Promise.all(noise);
  });

  it('answers 503 problem+json with Retry-After when the position does not arrive within the limit', async () => {
    const started = Date.now();
    const response = await request(app.getHttpServer())
      .get('/customers/nobody/revenue')
      .set('X-Min-Position', (10n ** 30n).toString())
      .expect(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(response.body).toMatchObject({ status: 503, code: 'projection_behind', projections: [PROJECTION] });
  });

  it('answers a wait pending when the listening connection drops once the checkpoint passes, not at its timeout', async () => {
    const waiter = new ProjectionPositionWaiter(pool);
    world.onCleanup(() => waiter.close());
    const head = await store.headPosition();
    const waitMs = 60_000;
    const started = Date.now();
    const waiting = waiter.waitFor([PROJECTION], head + 1n, waitMs);
    // The waiter listens soon after the wait begins; then every listening connection of this database is dropped.
    let dropped = 0;
    for (let attempt = 0; attempt < 250 && dropped === 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const { rows } = await pool.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = 'listen ${CHECKPOINT_CHANNEL}'`);
      dropped = rows.length;
    }
    expect(dropped).toBeGreaterThan(0);
    await request(app.getHttpServer()).post('/orders').send({ customerId: `c-${randomUUID()}`, amount: 1 }).expect(201);
    await expect(waiting).resolves.toBe(true);
    // Before: answered only by its timeout's last look.
    expect(Date.now() - started).toBeLessThan(waitMs / 2);
  });

  it('refuses a malformed X-Min-Position with 400 problem+json', async () => {
    const response = await request(app.getHttpServer()).get('/customers/x/revenue').set('X-Min-Position', 'yesterday').expect(400);
    expect(response.body).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('answers at once without the header', async () => {
    await request(app.getHttpServer()).get('/customers/x/revenue').expect(200, { orders: 0 });
  });
});
