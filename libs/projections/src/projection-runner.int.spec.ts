import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { useTestWorld } from '@clientela/testing';
import { waitUntilReadable } from '@clientela/event-store/testing';
import { defineProjection, type RowProjection } from './projection';
import { ProjectionRunner } from './projection-runner';
import { getProjectionStatus, projectionsReadiness } from './projection-status';
import { requestProjectionRebuild } from './registry';
import { ProjectionMetrics } from './projection-metrics';
import { customerRevenueProjection, ordersCatalogue, placedOrder, orderHistory } from './testing/sample-orders';
import { projectInMemory, type GivenEvent } from './testing/projection-spec';
import { asReadRow, readRows, waitForCheckpoint } from './testing/read-model';

describe('ProjectionRunner on PostgreSQL', () => {
  const world = useTestWorld({ name: 'projections_runner', store: (pool) => PostgresEventStore.create({ pool, catalogue: ordersCatalogue() }) });
  let store: PostgresEventStore;
  let pool: Pool;
  const runners: ProjectionRunner[] = [];
  const runner = (projection: RowProjection, batchSize = 50, catchUpWindowRows?: number, catchUpWindowMs?: number) => {
    const r = new ProjectionRunner({ projection, store, pool, batchSize, retryDelayMs: 5, takeoverIntervalMs: 100, catchUpWindowRows, catchUpWindowMs });
    runners.push(r);
    return r;
  };
  // Each test writes its own category and its projections read only that one.
  let category = 'order';
  const fresh = (overrides: { version?: number; name?: string } = {}) =>
    customerRevenueProjection({ name: `rev_${randomUUID().slice(0, 8)}`, categories: [category], ...overrides });
  beforeEach(() => {
    category = `order${randomUUID().slice(0, 8)}`;
  });
  const append = async (events: GivenEvent[], perStream = 10) => {
    let last = 0n;
    for (let i = 0; i < events.length; i += perStream) {
      const result = await store.append(streamId(category), events.slice(i, i + perStream).map((e) => ({ type: e.type, data: e.data as Record<string, unknown> })));
      last = result.position;
    }
    return last;
  };

  beforeAll(() => {
    ({ pool, store } = world);
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });

  it('catches up, then follows live, writing exactly what the pure mapping says', async () => {
    const projection = fresh();
    const events = orderHistory(1200, 40);
    await append(events.slice(0, 800));
    const r = runner(projection, 37);
    await r.start();
    expect(r.isActive).toBe(true);
    const last = await append(events.slice(800));
    await waitForCheckpoint(pool, projection.name, last);
    const expected = projectInMemory(projection, events).customer_revenue;
    const rows = await readRows(pool, projection, 'customer_revenue');
    expect(rows).toEqual(expected.map((row) => asReadRow(row)));
  });

  it('catches up in windows of merged pages, then page by page, writing what the pure mapping says', async () => {
    const events = orderHistory(1500, 400);
    await append(events.slice(0, 1200), 25);
    // Pages of 20 events; windows written once they touch 50 rows (about three pages each), or at once (by time).
    const copies = [fresh(), fresh(), fresh()];
    const [windowed, byTime, pageByPage] = copies;
    const started = [runner(windowed, 20, 50), runner(byTime, 20, 1_000_000, 0), runner(pageByPage, 20, 0)];
    await Promise.all(started.map((r) => r.start()));
    const last = await append(events.slice(1200), 25);
    await Promise.all(copies.map((copy) => waitForCheckpoint(pool, copy.name, last)));
    const expected = projectInMemory(windowed, events).customer_revenue.map((row) => asReadRow(row));
    for (const copy of copies) expect(await readRows(pool, copy, 'customer_revenue')).toEqual(expected);
    // Each counted every event once.
    const { rows } = await pool.query<{ events_applied: string }>(`select events_applied::text from projections.state where name = any($1)`, [
      copies.map((copy) => copy.name),
    ]);
    expect(rows.map((row) => Number(row.events_applied))).toEqual([1500, 1500, 1500]);
    // A rebuild's shadow copy is written the same three ways.
    await Promise.all(started.map((r) => r.rebuild()));
    for (const copy of copies) expect(await readRows(pool, copy, 'customer_revenue')).toEqual(expected);
  });

  it('parks an event that PostgreSQL refuses inside a window, applying the window again page by page, in a first build and in a rebuild', async () => {
    const base = fresh();
    const projection = defineProjection<RowProjection>({
      ...base,
      project: (event) =>
        (event.data as { customerId?: string }).customerId === 'refused'
          ? [{ table: 'customer_revenue', key: { customer_id: 'refused' }, add: { orders: 'many' } }]
          : base.project(event),
    });
    const events = orderHistory(300, 60);
    const withPoison = [...events.slice(0, 150), placedOrder('refused', 1, 1), ...events.slice(150)];
    const last = await append(withPoison, 10);
    const r = runner(projection, 20, 40);
    await r.start();
    await waitForCheckpoint(pool, projection.name, last);
    expect(await readRows(pool, projection, 'customer_revenue')).toEqual(projectInMemory(base, events).customer_revenue.map((row) => asReadRow(row)));
    const { rows: dead } = await pool.query(`select reason, event from projections.dead_letters where projection = $1`, [projection.name]);
    expect(dead).toHaveLength(1);
    expect(dead[0].event.data.customerId).toBe('refused');
    expect(dead[0].reason).toMatch(/bigint|invalid input/);

    await r.rebuild();
    expect(await readRows(pool, projection, 'customer_revenue')).toEqual(projectInMemory(base, events).customer_revenue.map((row) => asReadRow(row)));
    const { rows: after } = await pool.query(`select event_id from projections.dead_letters where projection = $1`, [projection.name]);
    expect(after).toHaveLength(1);
  });

  it('reports status: position, lag, rate; and Prometheus metrics', async () => {
    const projection = fresh();
    const last = await append(orderHistory(100, 5));
    const metrics = new ProjectionMetrics();
    const r = new ProjectionRunner({ projection, store, pool, batchSize: 30, metrics });
    runners.push(r);
    await r.start();
    await waitForCheckpoint(pool, projection.name, last);
    const [status] = await getProjectionStatus(pool, store, [projection], { metrics });
    const exposition = await metrics.registry.metrics();
    expect(exposition).toContain(`clientela_projection_events_applied_total{projection="${projection.name}"} 100`);
    expect(exposition).toContain(`clientela_projection_lag_events{projection="${projection.name}"} 0`);
    expect(status).toMatchObject({ name: projection.name, version: 1, status: 'live', lagEvents: 0, lagSeconds: 0, deadLetters: 0 });
    expect(status.position >= last).toBe(true);
    expect(status.eventsApplied).toBeGreaterThanOrEqual(100);

    expect((await projectionsReadiness(pool, store, [projection]).check()).status).toBe('up');

    await r.stop();
    await waitUntilReadable(store, await append(orderHistory(7, 3), 1));
    const readiness = await projectionsReadiness(pool, store, [projection, fresh()]).check();
    expect(readiness.status).toBe('down');
    expect(readiness.details?.[projection.name]).toMatchObject({ status: 'stopped', lagEvents: 7 });
    const [behind] = await getProjectionStatus(pool, store, [projection]);
    expect(behind.lagEvents).toBe(7);
    expect(behind.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(behind.status).toBe('stopped');
    expect(behind.owner).toBeUndefined();
  });

  it('parks a poison event with its reason and goes on with the rest, live and in a rebuild, trying it a bounded number of times', async () => {
    const base = fresh();
    let poisonTries = 0;
    const projection = defineProjection<RowProjection>({
      ...base,
      project: (event) => {
        if ((event.data as { customerId?: string }).customerId === 'poison') {
          poisonTries++;
          throw new Error('cannot read this order');
        }
        return base.project(event);
      },
    });
    const last = await append([placedOrder('a', 1, 1), placedOrder('poison', 2, 2), placedOrder('b', 3, 3)], 1);
    const r = runner(projection, 10);
    await r.start();
    await waitForCheckpoint(pool, projection.name, last);
    const rows = await readRows(pool, projection, 'customer_revenue');
    expect(rows.map((row) => row.customer_id)).toEqual(['a', 'b']);
    const { rows: dead } = await pool.query(`select reason, event_type, event from projections.dead_letters where projection = $1`, [projection.name]);
    expect(dead).toHaveLength(1);
    expect(dead[0].reason).toContain('cannot read this order');
    expect(dead[0].event.data.customerId).toBe('poison');
    const liveTries = poisonTries;
    expect(liveTries).toBeLessThanOrEqual(5); // 3 batch attempts, then one by one: no busy loop

    // A rebuild reads the poison event again: parked (once), the rest of the copy swapped in.
    await r.rebuild();
    expect(await readRows(pool, projection, 'customer_revenue')).toEqual(rows);
    expect(poisonTries - liveTries).toBeLessThanOrEqual(3); // the window's merge, the page, then one by one
    const { rows: after } = await pool.query(`select event_id from projections.dead_letters where projection = $1`, [projection.name]);
    expect(after).toHaveLength(1);
  });

  it('rebuilds into a shadow copy and swaps it in; a new version rebuilds by itself at start', async () => {
    const name = `rev_${randomUUID().slice(0, 8)}`;
    const events = orderHistory(600, 20);
    const last = await append(events);
    const v1 = runner(fresh({ name }));
    await v1.start();
    await waitForCheckpoint(pool, name, last);
    await v1.rebuild();
    expect(await readRows(pool, fresh({ name }), 'customer_revenue')).toEqual(
      projectInMemory(fresh({ name }), events).customer_revenue.map(asReadRow),
    );
    await v1.stop();

    const v2 = runner(fresh({ name, version: 2 }));
    await v2.start();
    await waitForVersion(pool, name, 2);
    const [status] = await getProjectionStatus(pool, store, [fresh({ name })]);
    expect(status.version).toBe(2);
    const { rows: schemas } = await pool.query(`select nspname from pg_namespace where nspname like $1 order by 1`, [`proj_${name}%`]);
    expect(schemas.map((s) => s.nspname)).toEqual([`proj_${name}`]);
  });

  it('rebuilds when another process asks for it', async () => {
    const projection = fresh();
    const events = orderHistory(300, 10);
    const last = await append(events);
    const r = runner(projection);
    await r.start();
    await waitForCheckpoint(pool, projection.name, last);
    const before = await schemaOid(pool, projection.name);
    expect(await requestProjectionRebuild(pool, projection.name)).toBe(true);
    expect(await requestProjectionRebuild(pool, 'never_ran')).toBe(false);
    const deadline = Date.now() + 30_000;
    while ((await schemaOid(pool, projection.name)) === before) {
      if (Date.now() > deadline) throw new Error('no rebuild happened');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { rows } = await pool.query(`select rebuild_requested_at from projections.state where name = $1`, [projection.name]);
    expect(rows[0].rebuild_requested_at).toBeNull();
    expect(await readRows(pool, projection, 'customer_revenue')).toEqual(projectInMemory(projection, events).customer_revenue.map(asReadRow));
  });
});

const schemaOid = async (pool: Pool, name: string): Promise<string | undefined> => {
  const { rows } = await pool.query<{ oid: string }>(`select oid::text from pg_namespace where nspname = $1`, [`proj_${name}`]);
  return rows[0]?.oid;
};

const waitForVersion = async (pool: Pool, name: string, version: number) => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await pool.query(`select version, status from projections.state where name = $1`, [name]);
    // The swap says live in its commit and drops the old copy just after: wait for that too.
    const { rows: leftovers } = await pool.query(`select 1 from pg_namespace where nspname in ($1, $2)`, [`proj_${name}__old`, `proj_${name}__rebuild`]);
    if (rows[0]?.version === version && rows[0]?.status === 'live' && leftovers.length === 0) return;
    if (Date.now() > deadline) throw new Error(`projection ${name} did not reach version ${version}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

