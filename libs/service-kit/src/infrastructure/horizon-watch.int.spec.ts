import { Registry } from 'prom-client';
import type { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { watchEventStoreHorizon } from './horizon-watch';

describe('the event store horizon in readiness and metrics', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = database.pool({ max: 3 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('names a write transaction left open past the threshold (database, pid, age), and forgets it once it ends', async () => {
    const metrics = new Registry();
    const check = watchEventStoreHorizon(pool, metrics, 0.3);
    const holder = await pool.connect();
    try {
      await holder.query("set application_name = 'forgotten-batch-job'");
      await holder.query('begin');
      const pid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid, pg_current_xact_id()')).rows[0].pid;
      await new Promise((resolve) => setTimeout(resolve, 400));

      const result = await check.check();
      expect(result.status).toBe('up');
      // Cluster-wide: other tests' transactions may be listed too, ours must be.
      const ours = (result.details?.heldBy as Array<{ pid: number; ageSeconds: number }>).find((holder) => holder.pid === pid);
      expect(ours).toMatchObject({ database: database.name, pid, state: 'idle in transaction', applicationName: 'forgotten-batch-job' });
      expect(ours?.ageSeconds).toBeGreaterThanOrEqual(0.3);
      const exposed = await metrics.metrics();
      expect(exposed).toMatch(new RegExp(`clientela_event_store_horizon_held_seconds\\{database="${database.name}",pid="${pid}",application="forgotten-batch-job"\\} \\d`));

      await holder.query('commit');
      const after = await check.check();
      expect(((after.details?.heldBy ?? []) as Array<{ pid: number }>).map((holder) => holder.pid)).not.toContain(pid);
      expect(await metrics.metrics()).not.toContain(`pid="${pid}"`);
    } finally {
      await holder.query('rollback').catch(() => undefined);
      holder.release();
    }
  });
});
