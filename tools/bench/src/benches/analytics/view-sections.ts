/**
 * What each section of the single customer view costs PostgreSQL (issue 11's `analytics.customer_view`):
 *   node tools/bench/view-sections.js [orders, default 20000] [calls per round, default 1000] [rounds, default 5]
 * A database of its own with the analytics bench's story customer and `orders` cdnow orders of other
 * customers, every analytics projection built over them; then, on one connection, each statement
 * prepared and run `calls` times in a row for the story customer, the statements in an order that
 * turns by one each round: the whole view, its stamp alone (what the service reads when it holds the
 * answer), each section alone over the same `target` and `ids`, those
 * two alone, and the bare route's SELECT by primary key. Prints, per statement, the backend's CPU
 * (from /proc, so PostgreSQL must run on this machine) and the wall clock a call, medians of the rounds.
 */
import { Client, Pool } from 'pg';
import { PostgresEventStore } from '@clientela/event-store';
import { ProjectionRunner } from '@clientela/projections';
import { analyticsService } from '../../../../../apps/analytics/src/analytics-service';
import { CUSTOMER_VIEW_SECTIONS, customerViewSql, customerViewStampSql, idsSql, targetSql } from '../../../../../apps/analytics/src/customer-view/customer-view.sections';
import { createBenchDatabase, defaultServerUrl } from '../../database';
import { median, round } from '../../measure';
import { processCpuUs } from '../../processes';
import { NotificationListener } from '../../projections/listener';
import { BARE_ROW_SQL } from './bare-row';
import { masterPurchases, orderAppends } from './cdnow-orders';
import { customerStory } from './customer-story';

interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

const statements = (customerId: string): Statement[] => {
  const ids = `with target as (${targetSql('$1')}), ids as (${idsSql})`;
  return [
    { name: 'whole view', text: customerViewSql, values: [customerId, 'USD'] },
    { name: 'stamp', text: customerViewStampSql, values: [customerId] },
    ...CUSTOMER_VIEW_SECTIONS.map((section) => ({ name: section.name, text: `${ids} select ${section.sql} as v`, values: section.sql.includes('$2') ? [customerId, 'USD'] : [customerId] })),
    { name: 'target and ids', text: `${ids} select count(*) from ids`, values: [customerId] },
    { name: 'bare route (primary key)', text: BARE_ROW_SQL, values: [customerId] },
  ];
};

export const main = async (orders: number, calls: number, rounds: number): Promise<void> => {
  const database = await createBenchDatabase(defaultServerUrl(), 'clientela_bench_view');
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const store = await PostgresEventStore.create({ connectionString: database.url, catalogue: analyticsService.catalogue, poolSize: 4 });
    cleanups.push(() => store.close());
    const story = customerStory();
    await store.appendToStreams(story.appends);
    for (const batch of orderAppends(masterPurchases(), orders, 1_000)) await store.appendToStreams(batch);
    const head = await store.headPosition();
    const projections = analyticsService.projections ?? [];
    const pool = new Pool({ connectionString: database.url, max: 4 });
    cleanups.push(() => pool.end());
    const listeners = await Promise.all(projections.map((p) => NotificationListener.create(database.url, p.name)));
    cleanups.push(() => Promise.all(listeners.map((l) => l.close())));
    const runners = projections.map((projection) => new ProjectionRunner({ projection, store, pool, batchSize: 2_000 }));
    await Promise.all(runners.map((runner) => runner.start()));
    await Promise.all(listeners.map((listener) => listener.reached(head, 300_000)));
    await Promise.all(runners.map((runner) => runner.stop()));

    const client = new Client({ connectionString: database.url });
    await client.connect();
    cleanups.push(() => client.end());
    await client.query('vacuum analyze');
    const pid = Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid);
    const list = statements(story.customerId);
    const run = (statement: Statement, index: number) => client.query({ name: `view-section-${index}`, text: statement.text, values: statement.values });
    // Every statement past its custom plans (a prepared statement is planned anew for its first five calls).
    for (const [index, statement] of list.entries()) for (let i = 0; i < 10; i++) await run(statement, index);
    const cpu = list.map(() => [] as number[]);
    const wall = list.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < list.length; k++) {
        const index = (k + r) % list.length;
        const cpuBefore = processCpuUs(pid) ?? Number.NaN;
        const started = process.hrtime.bigint();
        for (let i = 0; i < calls; i++) await run(list[index], index);
        wall[index].push(Number(process.hrtime.bigint() - started) / 1000 / calls);
        cpu[index].push(((processCpuUs(pid) ?? Number.NaN) - cpuBefore) / calls);
      }
    }
    console.log(`${orders} cdnow orders and the story customer; ${calls} calls a round, ${rounds} rounds; µs a call (medians of the rounds)`);
    console.log('statement'.padEnd(28), 'backend CPU'.padStart(12), 'wall'.padStart(10));
    for (const [index, statement] of list.entries()) {
      console.log(statement.name.padEnd(28), String(round(median(cpu[index]), 1)).padStart(12), String(round(median(wall[index]), 1)).padStart(10));
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await database.drop();
  }
};
