import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PostgresEventStore } from '@clientela/event-store';
import { killSurvivors, useTestWorld } from '@clientela/testing';
import { appendSampleOrders, customerRevenueProjection, ordersCatalogue } from './testing/sample-orders';
import { cleanRebuildRows, readRows, waitForCheckpoint } from './testing/read-model';
import { waitUntilMidBatch } from './testing/kill-moments';
import { spawnProjectionProcess, type ProjectionProcess } from './testing/spawn-projection-process';

/** Runners in processes of their own, killed with SIGKILL: the read model must not notice. */
describe('projection runner processes killed with SIGKILL', () => {
  const world = useTestWorld({ name: 'projections_crash', pool: { max: 6 }, store: (pool) => PostgresEventStore.create({ pool, catalogue: ordersCatalogue() }) });
  let pool: Pool;
  let store: PostgresEventStore;
  const children: ProjectionProcess[] = [];

  beforeAll(() => {
    ({ pool, store } = world);
  });
  afterEach(() => killSurvivors(children));

  const ownerPid = async (name: string): Promise<number | undefined> => {
    const { rows } = await pool.query<{ owner: string | null }>(`select owner from projections.state where name = $1`, [name]);
    const pid = rows[0]?.owner?.split(':')[1];
    return pid ? Number(pid) : undefined;
  };

  it('leaves, after a kill mid-batch and a restart, a read model equal row for row to a clean rebuild', async () => {
    const category = `order${randomUUID().slice(0, 8)}`;
    const name = `crash_${randomUUID().slice(0, 8)}`;
    const last = await appendSampleOrders(store, category, 400);
    const env = { DATABASE_URL: world.database.url, PROJECTION_NAME: name, CATEGORY: category, BATCH_SIZE: '25', APPLY_DELAY_MS: '40' };

    for (let kill = 0; kill < 3; kill++) {
      const child = await spawnProjectionProcess(env);
      children.push(child);
      await waitUntilMidBatch(pool, child.pid);
      child.child.kill('SIGKILL');
      await child.exited;
    }
    const { rows: partial } = await pool.query(`select position::text from projections.state where name = $1`, [name]);
    expect(BigInt(partial[0].position) < last).toBe(true); // the kills really interrupted the work

    const finisher = await spawnProjectionProcess({ ...env, APPLY_DELAY_MS: '0' });
    children.push(finisher);
    await waitForCheckpoint(pool, name, last, 60_000);
    finisher.child.kill('SIGTERM');
    await finisher.exited;

    const projection = customerRevenueProjection({ name, categories: [category] });
    const rows = await readRows(pool, projection, 'customer_revenue');
    expect(rows).toHaveLength(37);
    expect(rows).toEqual(await cleanRebuildRows(pool, store, projection, 'customer_revenue'));
  });

  it('lets exactly one of two runners be active; when it is killed the other takes over, nothing lost or doubled', async () => {
    const category = `order${randomUUID().slice(0, 8)}`;
    const name = `takeover_${randomUUID().slice(0, 8)}`;
    await appendSampleOrders(store, category, 100);
    const env = { DATABASE_URL: world.database.url, PROJECTION_NAME: name, CATEGORY: category, BATCH_SIZE: '10', APPLY_DELAY_MS: '20' };
    const first = await spawnProjectionProcess(env);
    children.push(first);
    const second = await spawnProjectionProcess(env);
    children.push(second);

    const activity = [first.output(), second.output()].map((o) => JSON.parse(o.split('\n')[0]) as { pid: number; active: boolean });
    expect(activity.filter((a) => a.active)).toHaveLength(1);
    const active = activity[0].active ? first : second;
    const standby = active === first ? second : first;
    expect(await ownerPid(name)).toBe(active.pid);

    const writing = appendSampleOrders(store, category, 150); // keeps appending through the takeover
    await waitUntilMidBatch(pool, active.pid);
    active.child.kill('SIGKILL');
    await active.exited;

    const deadline = Date.now() + 15_000;
    while ((await ownerPid(name)) !== standby.pid) {
      if (Date.now() > deadline) throw new Error(`standby did not take over: ${standby.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const last = await writing;
    await waitForCheckpoint(pool, name, last, 60_000);
    standby.child.kill('SIGTERM');
    await standby.exited;

    const projection = customerRevenueProjection({ name, categories: [category] });
    const rows = await readRows(pool, projection, 'customer_revenue');
    const clean = await cleanRebuildRows(pool, store, projection, 'customer_revenue');
    expect(rows).toEqual(clean);
    const totalOrders = rows.reduce((sum, row) => sum + Number(row.orders), 0);
    expect(totalOrders).toBe(250);
  });
});
