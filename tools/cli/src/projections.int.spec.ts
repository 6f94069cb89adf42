import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { streamId } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { ProjectionRunner, schemaOf } from '@clientela/projections';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
// The sample projection of libs/projections' tests and its helpers (not exported by the library).
import { customerRevenueProjection, ordersCatalogue, waitForCheckpoint, watchTotal } from '@clientela/projections/testing';
import { runCli, spawnCli } from './testing/run-cli';

describe('clientela projections', () => {
  let database: TestDatabase;
  let pool: Pool;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  const category = `order${randomUUID().slice(0, 6)}`;
  const projection = customerRevenueProjection({ name: `revenue_${randomUUID().slice(0, 6)}`, categories: [category] });
  const table = `${schemaOf(projection)}.customer_revenue`;
  const env = () => ({ DATABASE_URL: database.url });
  /** After a swap the runner opens its live loop again ('starting'), then reports 'live'. */
  const liveStatus = async () => {
    for (let i = 0; ; i++) {
      const status = JSON.parse((await runCli(['projections', 'status', projection.name, '--json'], env())).stdout);
      if (status.status === 'live' || i === 100) return status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase('cli_projections');
    pool = database.pool({ max: 12 });
    store = await PostgresEventStore.create({ pool, catalogue: ordersCatalogue() });
    let last = 0n;
    for (let i = 0; i < 120; i++) {
      ({ position: last } = await store.append(
        streamId(category),
        Array.from({ length: 50 }, (_, j) => ({
          type: 'OrderPlaced',
          data: { orderId: randomUUID(), customerId: `c${(i * 50 + j) % 300}`, amount: 1, currency: 'USD', items: 1, placedAt: '1997-01-01T00:00:00.000Z' },
        })),
      ));
    }
    runner = new ProjectionRunner({ projection, store, pool, batchSize: 200 });
    await runner.start();
    await waitForCheckpoint(pool, projection.name, last, 60_000);
  });
  afterAll(async () => {
    await runner?.stop();
    await store.close();
    await database.drop();
  });

  it('status shows each projection\'s position, lag, state and dead letters', async () => {
    const result = await runCli(['projections', 'status', projection.name, '--json'], env());
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: projection.name, version: 1, status: 'live', lagEvents: 0, lagSeconds: 0, deadLetters: 0, eventsApplied: 6_000 });
    const tableOut = await runCli(['projections', 'status'], env());
    expect(tableOut.stdout).toMatch(new RegExp(`^${projection.name} +1 +live +\\d+ +0 +0 `, 'm'));
    const missing = await runCli(['projections', 'rebuild', 'nothing'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no projection named nothing has run on this database`);
  });

  it('rebuild, run as the bin, swaps in a new copy while reads continue: no read fails, the progress reaches 100 %', async () => {
    const readers = watchTotal(pool, table, 'orders', 3);
    const { result } = spawnCli(['projections', 'rebuild', projection.name, '--poll-ms', '20'], env());
    const { code, stdout, stderr } = await result;
    const { reads, failures } = await readers.stop();
    expect({ code, stderr: stderr.includes('rebuild failed') }).toEqual({ code: 0, stderr: false });
    expect(stdout).toMatch(new RegExp(`^${projection.name}: new copy swapped in at position \\d+ \\(version 1\\)$`, 'm'));
    const percentages = [...stderr.matchAll(/\| (\d+) % \|/g)].map((m) => Number(m[1]));
    expect(percentages[percentages.length - 1]).toBe(100);
    expect(percentages).toEqual([...percentages].sort((a, b) => a - b));
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    const { rows } = await pool.query<{ orders: string }>(`select sum(orders)::text as orders from ${table}`);
    expect(rows[0].orders).toBe('6000');
    const status = await liveStatus();
    expect(status).toMatchObject({ status: 'live', lagEvents: 0 });
    expect(status.rebuildRequestedAt).toBeUndefined();
  });

  it('reset clears the parked events and the last error, then rebuilds', async () => {
    await pool.query(
      `insert into projections.dead_letters (projection, event_id, event_type, stream_id, position, event, reason, attempts) values ($1, $2, 'OrderPlaced', 'x-1', 1, '{}', 'test', 3)`,
      [projection.name, randomUUID()],
    );
    await pool.query(`update projections.state set last_error = 'boom', last_error_at = now() where name = $1`, [projection.name]);
    expect(JSON.parse((await runCli(['projections', 'status', projection.name, '--json'], env())).stdout)).toMatchObject({ deadLetters: 1, lastError: { message: 'boom' } });
    const reset = await runCli(['projections', 'reset', projection.name, '--poll-ms', '20'], env());
    expect(reset.code).toBe(0);
    expect(reset.stderr).toContain('cleared its last error and 1 parked events');
    const status = await liveStatus();
    expect(status).toMatchObject({ deadLetters: 0, status: 'live' });
    expect(status.lastError).toBeUndefined();
  });
});
