import { cpus, loadavg } from 'node:os';
import { openMeasuredDatabase } from '../database';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { START, type Position } from '@clientela/contracts';
import { PostgresEventStore, type EventFilter } from '@clientela/event-store';
import type { LogSink } from '@clientela/platform';
import { DEFAULT_REGISTRY_SCHEMA, ProjectionRunner, schemaOf, type RowProjection } from '@clientela/projections';
// The sample projection of libs/projections (its tests' and this bench's), not exported by the library.
import { customerRevenueProjection, ordersCatalogue } from '../../../../libs/projections/src/testing/sample-orders';
import { measure, perSecond, ratio, round, runConcurrently, type Measured } from '../measure';
import { median } from '../measure';
import { defaultRounds, inTurns, roundFields } from '../rounds';
import type { BenchContext, BenchLine, BenchOptions } from '../registry';
import { appendAtSteadyRate, checkpointLags, notificationLags, type Lags, type SteadyRate, type SteadyRun } from './lag';
import { NotificationListener } from './listener';
import { EVENT_TYPES, OrderTimeline, seededRandom, type OrderTotals } from './orders';

/** Events per runner batch (and per read of the limit). 500, 1000 and 2000 were tried, 2000 was fastest: see the README. */
export const DEFAULT_PROJECTION_BATCH = 2_000;

export interface ProjectionsSizes {
  /** Events in the store before the rebuild. */
  events: number;
  /** Events per append while loading (not measured). */
  loadBatch: number;
  /** Concurrent writers while loading. */
  loadWriters: number;
  /** The runner's batchSize, and the limit's page size. */
  batchSize: number;
  /** Rebuilds, each beside a read of everything by the limit, interleaved; the median counts. */
  rounds: number;
  lag: SteadyRate;
}

export const projectionsSizes = (options: BenchOptions): ProjectionsSizes => ({
  events: options.events ?? (options.quick ? 20_000 : 1_000_000),
  loadBatch: 500,
  loadWriters: options.concurrency ?? 4,
  batchSize: options.batchSize ?? DEFAULT_PROJECTION_BATCH,
  rounds: options.rounds ?? defaultRounds(options.quick),
  lag: { seconds: options.quick ? 5 : 20, tickMs: 10, eventsPerTick: 10, warmupMs: options.quick ? 500 : 1_000 },
});

export const LIMITS = {
  rebuild:
    "store.readAll of the same events, forward from START to the end, pages of batch_size with the runner's filter (its event types), no projection work",
  lag: 'plain LISTEN on the store\'s own notification (event_store_events, sent after each append): from append-call start to the first notification after the append returned',
} as const;

const LAG_APPENDS =
  'single-event appends at a fixed schedule: every tick_ms, events_per_tick appends start at once, each of one OrderPlaced into a new order- stream, customers drawn at random; open loop (no wait for earlier ticks)';

const PROJECTION_NAME = 'customer_revenue';

/**
 * The sample projection (customer_revenue) over the CDNOW orders plus synthetic ones: a full
 * rebuild beside a plain read of the same events, and the lag from append to read model at a
 * steady rate beside the lag of the store's own notification.
 */
export const runProjectionsBench = async (ctx: BenchContext): Promise<void> => {
  const sizes = projectionsSizes(ctx.options);
  const at = new Date().toISOString();
  // What else the machine was doing: the 1-minute load average before this bench did anything.
  const loadBefore = round(loadavg()[0], 2);
  const { database, admin, synchronousCommit, postgres, checkpoint } = await openMeasuredDatabase(ctx);
  ctx.log(
    `database ${database.name}, PostgreSQL ${postgres}, synchronous_commit=${synchronousCommit}; sizes ${JSON.stringify(sizes)}`,
  );

  // Two stores on the same tables: the writers' (loading, then the lag phases' appends) and the
  // runner's (and the limit's reads). Apart, the runner is woken by the store's NOTIFY as a
  // runner in another process would be, not by the writers' in-process wake-up.
  const catalogue = ordersCatalogue();
  const writer = await PostgresEventStore.create({ connectionString: database.url, catalogue, poolSize: Math.max(16, sizes.loadWriters) });
  writer.pool.on('error', () => undefined);
  ctx.onCleanup(() => writer.close());
  const reader = await PostgresEventStore.create({ connectionString: database.url, catalogue, poolSize: 4 });
  reader.pool.on('error', () => undefined);
  ctx.onCleanup(() => reader.close());
  const readModel = new Pool({ connectionString: database.url, max: 4 });
  readModel.on('error', () => undefined);
  ctx.onCleanup(() => readModel.end());
  const listener = await NotificationListener.create(database.url, PROJECTION_NAME);
  ctx.onCleanup(() => listener.close());

  // Load (not measured).
  let started = performance.now();
  const timeline = new OrderTimeline(sizes.events);
  const expected: OrderTotals = { ...timeline.totals };
  ctx.log(
    `${sizes.events} events (${expected.placed} OrderPlaced, ${expected.refunds} OrderRefunded, ${expected.customers} customers) made in ${seconds(started)} s; loading ${sizes.loadBatch} per append, ${sizes.loadWriters} writers`,
  );
  started = performance.now();
  const batches = timeline.batches(sizes.loadBatch);
  let loaded = 0;
  let nextReport = 100_000;
  await runConcurrently(sizes.loadWriters, Array.from({ length: sizes.loadWriters }), async () => {
    for (let next = batches.next(); !next.done; next = batches.next()) {
      await writer.append(next.value.streamId, next.value.events, { expectedRevision: 'no_stream' });
      loaded += next.value.events.length;
      if (loaded >= nextReport) {
        ctx.log(`loaded ${loaded} events in ${seconds(started)} s`);
        nextReport += 100_000;
      }
    }
  });
  const loadMs = performance.now() - started;
  ctx.log(`loaded ${loaded} events in ${seconds(started)} s (${perSecond(loaded, loadMs)}/s)`);
  started = performance.now();
  await admin.query('vacuum analyze');
  await checkpoint();
  ctx.log(`vacuum analyze and checkpoint in ${seconds(started)} s`);
  const head = await reader.headPosition();

  // 1. Rebuild, beside the plain read of the same events.
  const projection = customerRevenueProjection({ name: PROJECTION_NAME });
  const filter: EventFilter = { eventTypes: [...EVENT_TYPES] };
  const limitRead = async (): Promise<number> => {
    let fromPosition: Position = START;
    let read = 0;
    for (;;) {
      const page = await reader.readAll({ fromPosition, maxCount: sizes.batchSize, filter });
      read += page.events.length;
      fromPosition = page.nextPosition;
      if (page.isEnd) return read;
    }
  };
  const limitRounds: Measured<number>[] = [];
  const readRound = async (): Promise<void> => {
    const measured = await measure(limitRead, `projections.rebuild.limit${limitRounds.length + 1}`);
    if (measured.result !== sizes.events) throw new Error(`the limit read ${measured.result} events, but ${sizes.events} were loaded`);
    limitRounds.push(measured);
    ctx.log(`limit: read ${measured.result} events in ${(measured.ms / 1000).toFixed(2)} s, ${perSecond(measured.result, measured.ms)}/s`);
  };

  const logger: LogSink = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, fields) => ctx.log(`runner: ${message} ${JSON.stringify(fields ?? {})}`),
    error: (message, fields) => ctx.log(`runner: ${message} ${JSON.stringify(fields ?? {})}`),
  };
  // Each round: a read by the limit, then a fresh runner building the read model from START (the
  // round before's copy and registry row dropped first), the order turning each round.
  const rebuildRounds: Measured<ProjectionRunner>[] = [];
  let live: ProjectionRunner | undefined;
  ctx.onCleanup(async () => live?.stop());
  const rebuildRound = async (): Promise<void> => {
    if (live) {
      await live.stop();
      live = undefined;
      await readModel.query(`drop schema if exists ${schemaOf(projection)} cascade`);
      await readModel.query(`delete from ${DEFAULT_REGISTRY_SCHEMA}.state where name = $1`, [PROJECTION_NAME]);
    }
    await checkpoint();
    listener.reset();
    const rebuilt = await measure(async () => {
      const runner = new ProjectionRunner({ projection, store: reader, pool: readModel, batchSize: sizes.batchSize, logger });
      live = runner;
      await runner.start();
      await listener.reached(head, Math.max(120_000, sizes.events));
      return runner;
    }, `projections.rebuild${rebuildRounds.length === 0 ? '' : rebuildRounds.length + 1}`);
    rebuildRounds.push(rebuilt);
    ctx.log(`rebuild: ${sizes.events} events in ${(rebuilt.ms / 1000).toFixed(2)} s, ${perSecond(sizes.events, rebuilt.ms)}/s`);
  };
  let rows = 0;
  for (let r = 0; r < sizes.rounds; r++) {
    await inTurns(r, readRound, rebuildRound);
    rows = await checkReadModel(readModel, projection, expected);
    ctx.log(`read model: ${rows} customers; orders, items, gross, refunded and net revenue add up`);
  }
  const runner = live as ProjectionRunner | undefined;
  if (!runner) throw new Error('no runner');
  const oursRates = rebuildRounds.map((r) => perSecond(sizes.events, r.ms));
  const limitRates = limitRounds.map((r) => perSecond(r.result, r.ms));
  const oursPerS = median(oursRates);
  const limitPerS = median(limitRates);
  const middle = <T>(rounds: Measured<T>[], rates: number[]): Measured<T> => rounds[rates.indexOf(median(rates))] ?? rounds[0];
  const rebuilt = middle(rebuildRounds, oursRates);
  const limit = middle(limitRounds, limitRates);
  const common = { synchronous_commit: synchronousCommit };
  const tail = { loadavg_1m_before: loadBefore, cpus: cpus().length, postgres, quick: ctx.options.quick, at };
  ctx.emit({
    bench: 'projections.rebuild',
    ours_per_s: oursPerS,
    limit_per_s: limitPerS,
    ratio: ratio(oursPerS, limitPerS),
    ...roundFields('ours_per_s', oursRates),
    ...roundFields('limit_per_s', limitRates),
    ...roundFields('ratio', oursRates.map((o, i) => ratio(o, limitRates[i]))),
    rounds: sizes.rounds,
    events: sizes.events,
    batch_size: sizes.batchSize,
    rows,
    orders: expected.placed,
    refunds: expected.refunds,
    sums_checked: true,
    ...common,
    ours_s: round(rebuilt.ms / 1000, 3),
    limit_s: round(limit.ms / 1000, 3),
    ours_node_cpu_us_per_event: round((rebuilt.cpuS * 1e6) / sizes.events, 2),
    limit_node_cpu_us_per_event: round((limit.cpuS * 1e6) / sizes.events, 2),
    ours_node_cpu_s: rebuilt.cpuS,
    limit_node_cpu_s: limit.cpuS,
    // Every core's busy time (PostgreSQL's included) an event: near cpus × duration, the rebuild is bound by the CPU.
    ours_machine_cpu_us_per_event: round((rebuilt.machineCpuS * 1e6) / sizes.events, 2),
    limit_machine_cpu_us_per_event: round((limit.machineCpuS * 1e6) / sizes.events, 2),
    ours_rss_peak_mb: rebuilt.rssPeakMb,
    limit_rss_peak_mb: Math.max(...limitRounds.map((r) => r.rssPeakMb)),
    load_s: round(loadMs / 1000, 1),
    load_per_s: perSecond(loaded, loadMs),
    load_batch: sizes.loadBatch,
    load_writers: sizes.loadWriters,
    limit: LIMITS.rebuild,
    ...tail,
  });

  // 1b. A rebuild of the live read model (a new copy beside it, then the swap), once: what
  // `clientela projections rebuild` costs on this store, against the same read.
  const shadow = await measure(() => runner.rebuild(), 'projections.rebuild.shadow');
  const shadowRows = await checkReadModel(readModel, projection, expected);
  const shadowPerS = perSecond(sizes.events, shadow.ms);
  ctx.log(`shadow rebuild: ${sizes.events} events in ${(shadow.ms / 1000).toFixed(2)} s, ${shadowPerS}/s; ${shadowRows} customers add up`);
  ctx.emit({
    bench: 'projections.rebuild.shadow',
    ours_per_s: shadowPerS,
    limit_per_s: limitPerS,
    ratio: ratio(shadowPerS, limitPerS),
    events: sizes.events,
    batch_size: sizes.batchSize,
    rows: shadowRows,
    sums_checked: true,
    ...common,
    ours_s: round(shadow.ms / 1000, 3),
    ours_node_cpu_us_per_event: round((shadow.cpuS * 1e6) / sizes.events, 2),
    ours_machine_cpu_us_per_event: round((shadow.machineCpuS * 1e6) / sizes.events, 2),
    ours_rss_peak_mb: shadow.rssPeakMb,
    limit: `${LIMITS.rebuild} (the median of the rounds above)`,
    ...tail,
  });

  // 2. Lag at a steady rate: ours (the live runner, woken by the store's NOTIFY) first, then the
  // floor (the same appends with no runner, only the LISTEN).
  const random = seededRandom(7);
  const customer = () => timeline.randomCustomer(random);
  const rate = sizes.lag;
  const targetPerS = (rate.eventsPerTick * 1000) / rate.tickMs;
  ctx.log(`lag: ${targetPerS} events/s for ${rate.seconds} s with the runner live`);
  await checkpoint();
  listener.reset();
  const ours = await appendAtSteadyRate(writer, rate, customer, random);
  await listener.reached(ours.head, 60_000);
  const oursLags = checkpointLags(ours.events, listener.checkpoints);
  await sleep(200);
  const oursStoreLags = notificationLags(ours.events, listener.storeNotifications);
  const oursCheckpoints = listener.checkpoints.length;
  expected.placed += ours.appended;
  expected.items += ours.items;
  expected.grossCents += ours.cents;
  const rowsAfter = await checkReadModel(readModel, projection, expected);
  logLags(ctx, 'ours', ours, oursLags);

  await runner.stop();
  ctx.log(`lag: ${targetPerS} events/s for ${rate.seconds} s, runner stopped, LISTEN only`);
  await checkpoint();
  listener.reset();
  const floor = await appendAtSteadyRate(writer, rate, customer, random);
  await sleep(500);
  const floorLags = notificationLags(floor.events, listener.storeNotifications);
  logLags(ctx, 'limit', floor, floorLags);
  if (oursLags.unmatched + floorLags.unmatched > 0) {
    throw new Error(`lag: ${oursLags.unmatched} + ${floorLags.unmatched} events were never matched to a notification`);
  }

  const p = (lags: Lags, q: number) => lags.latencies.quantile(q);
  const line: BenchLine = {
    bench: 'projections.lag',
    ours_p50_ms: p(oursLags, 0.5),
    limit_p50_ms: p(floorLags, 0.5),
    ratio: ratio(p(oursLags, 0.5), p(floorLags, 0.5)),
    ours_p99_ms: p(oursLags, 0.99),
    limit_p99_ms: p(floorLags, 0.99),
    ours_max_ms: p(oursLags, 1),
    limit_max_ms: p(floorLags, 1),
    target_per_s: targetPerS,
    ours_append_per_s: ours.appendPerSecond,
    limit_append_per_s: floor.appendPerSecond,
    events: ours.events.length,
    limit_events: floor.events.length,
    seconds: rate.seconds,
    warmup_s: rate.warmupMs / 1000,
    tick_ms: rate.tickMs,
    events_per_tick: rate.eventsPerTick,
    appends: LAG_APPENDS,
    batch_size: sizes.batchSize,
    rows: rowsAfter,
    ...common,
    ours_append_p50_ms: ours.appendLatencies.quantile(0.5),
    ours_append_p99_ms: ours.appendLatencies.quantile(0.99),
    limit_append_p50_ms: floor.appendLatencies.quantile(0.5),
    limit_append_p99_ms: floor.appendLatencies.quantile(0.99),
    ours_store_notify_p50_ms: p(oursStoreLags, 0.5),
    ours_store_notify_p99_ms: p(oursStoreLags, 0.99),
    ours_checkpoints: oursCheckpoints,
    ours_tick_late_max_ms: ours.maxTickLateMs,
    limit_tick_late_max_ms: floor.maxTickLateMs,
    store_events: sizes.events + ours.appended + floor.appended,
    limit: LIMITS.lag,
    ...tail,
  };
  ctx.emit(line);
};

const logLags = (ctx: BenchContext, who: string, run: SteadyRun, lags: Lags): void =>
  ctx.log(
    `lag ${who}: ${run.events.length} events counted (${run.appended} appended) at ${run.appendPerSecond}/s; p50 ${lags.latencies.quantile(0.5)} ms, p99 ${lags.latencies.quantile(0.99)} ms, max ${lags.latencies.quantile(1)} ms; appends p50 ${run.appendLatencies.quantile(0.5)} ms`,
  );

/** Checks the read model against what was appended; returns its rows (customers). */
const checkReadModel = async (pool: Pool, projection: RowProjection, expected: OrderTotals): Promise<number> => {
  const { rows } = await pool.query<Record<string, string>>(
    `select count(*)::text as rows, coalesce(sum(orders), 0)::text as orders, coalesce(sum(items), 0)::text as items,
            coalesce(sum(gross_revenue) * 100, 0)::bigint::text as gross, coalesce(sum(refunded) * 100, 0)::bigint::text as refunded,
            coalesce(sum(net_revenue) * 100, 0)::bigint::text as net
       from ${schemaOf(projection)}.customer_revenue`,
  );
  const got = rows[0];
  const want = {
    rows: expected.customers,
    orders: expected.placed,
    items: expected.items,
    gross: expected.grossCents,
    refunded: expected.refundedCents,
    net: expected.grossCents - expected.refundedCents,
  };
  const wrong = Object.entries(want).filter(([key, value]) => got[key] !== String(value));
  if (wrong.length > 0) {
    throw new Error(`the read model does not add up: ${wrong.map(([k, v]) => `${k} ${got[k]}, expected ${v}`).join('; ')}`);
  }
  return Number(got.rows);
};

const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
