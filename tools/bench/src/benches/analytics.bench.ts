import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'pg';
import { START, type Position } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { ProjectionRunner } from '@clientela/projections';
import { startServiceProcess, stopServiceProcess } from '@clientela/launcher';
import { freePort, refusedPort } from '@clientela/testing';
// The analytics service's own definition, projections and model code: what the service runs, measured outside it.
import { analyticsService } from '../../../../apps/analytics/src/analytics-service';
import { fitBgNbd } from '../../../../apps/analytics/src/value-model/bg-nbd';
import { ROUTES } from '../../../../apps/gateway/src/routing/routes';
import { summarizeCustomers, type PurchaseDay } from '../../../../apps/analytics/src/value-model/customer-summary';
import { fitGammaGamma } from '../../../../apps/analytics/src/value-model/gamma-gamma';
import { openMeasuredDatabase } from '../database';
import { processCpuUs } from '../processes';
import { measure, median, perSecond, ratio, round, runConcurrently, spread } from '../measure';
import { REPO_ROOT } from '../paths';
import { defaultRounds } from '../rounds';
import { NotificationListener } from '../projections/listener';
import { registerBench, type BenchContext } from '../registry';
import { UNREFUSING_RATE_LIMIT } from '../gateway-env';
import { profileEnv, profileWindow } from '../service-profiles';
import { masterPurchases, orderAppends } from './analytics/cdnow-orders';
import { customerStory } from './analytics/customer-story';

const BATCH = 2_000;
/** "takes at most a few seconds on the full CDNOW cohort" (issue 11). */
const FIT_LIMIT_S = 5;
const ADMIN_KEY = 'bench-analytics-admin-key-0123456789abcdef';
/** Every projection the analytics service runs: the rebuild figure rebuilds them all at once. */
const PROJECTIONS = analyticsService.projections ?? [];

const runAnalyticsBench = async (ctx: BenchContext): Promise<void> => {
  const events = ctx.options.events ?? (ctx.options.quick ? 20_000 : 1_000_000);
  const at = new Date().toISOString();
  const loadBefore = round(loadavg()[0], 2);
  const tail = { loadavg_1m_before: loadBefore, cpus: cpus().length, quick: ctx.options.quick, at };
  const purchases = masterPurchases();

  // 1. The value model's fit on the whole cohort (what GET /analytics/value-model does after its query).
  const days = new Map<string, PurchaseDay>();
  for (const p of purchases) {
    const key = `${p.customer}|${p.date}`;
    const day = days.get(key);
    if (day) day.value += p.dollars;
    else days.set(key, { customerId: p.customer, day: p.date, value: p.dollars });
  }
  const customers = summarizeCustomers([...days.values()].sort((a, b) => (a.customerId + a.day < b.customerId + b.day ? -1 : 1)), '1997-09-30');
  const spenders = customers.filter((c) => c.x > 0 && c.meanRepeatValue > 0).map((c) => ({ x: c.x, meanValue: c.meanRepeatValue }));
  const fit = await measure(async () => ({ bgnbd: await fitBgNbd(customers), gammaGamma: await fitGammaGamma(spenders) }));
  ctx.emit({
    bench: 'analytics.value_model_fit',
    ours_s: round(fit.ms / 1000, 3),
    limit_s: FIT_LIMIT_S,
    ratio: ratio(FIT_LIMIT_S * 1000, fit.ms),
    customers: customers.length,
    spenders: spenders.length,
    r: round(fit.result.bgnbd.parameters.r, 4),
    alpha: round(fit.result.bgnbd.parameters.alpha, 4),
    a: round(fit.result.bgnbd.parameters.a, 4),
    b: round(fit.result.bgnbd.parameters.b, 4),
    node_cpu_s: fit.cpuS,
    limit: 'issue 11: the fit takes at most a few seconds on the full CDNOW cohort (23,570 customers, calibration end 1997-09-30); ratio = limit / ours',
    ...tail,
  });

  // 2. A full rebuild of every analytics projection at once beside a plain read of the same events.
  const { database, admin, synchronousCommit, postgres, checkpoint } = await openMeasuredDatabase(ctx, 'clientela_bench_analytics');
  const store = await PostgresEventStore.create({ connectionString: database.url, catalogue: analyticsService.catalogue, poolSize: 8 });
  store.pool.on('error', () => undefined);
  ctx.onCleanup(() => store.close());
  const readModel = new Pool({ connectionString: database.url, max: 4 });
  readModel.on('error', () => undefined);
  ctx.onCleanup(() => readModel.end());
  const listeners = await Promise.all(PROJECTIONS.map((p) => NotificationListener.create(database.url, p.name)));
  ctx.onCleanup(async () => void (await Promise.all(listeners.map((l) => l.close()))));

  // One customer with every section of the view filled, then the orders.
  const story = customerStory();
  await store.appendToStreams(story.appends);
  let loaded = story.appends.reduce((n, a) => n + a.events.length, 0);
  const batches = orderAppends(purchases, events - loaded, 1_000);
  await runConcurrently(4, Array.from({ length: 4 }), async () => {
    for (let next = batches.next(); !next.done; next = batches.next()) {
      await store.appendToStreams(next.value);
      loaded += next.value.length;
      if (loaded % 100_000 < 1_000) ctx.log(`loaded ${loaded} events`);
    }
  });
  await admin.query('vacuum analyze');
  await checkpoint();
  const head = await store.headPosition();
  ctx.log(`${loaded} events loaded (cdnow_master and clones of its histories, and one customer with every section of the view)`);

  const filter = {
    eventTypes: [...new Set(PROJECTIONS.flatMap((p) => p.eventTypes))],
    categories: [...new Set(PROJECTIONS.flatMap((p) => p.categories ?? []))],
  };
  const read = await measure(async () => {
    let fromPosition: Position = START;
    let count = 0;
    for (;;) {
      const page = await store.readAll({ fromPosition, maxCount: BATCH, filter });
      count += page.events.length;
      fromPosition = page.nextPosition;
      if (page.isEnd) return count;
    }
  }, 'analytics.rebuild.limit');
  if (read.result !== loaded) throw new Error(`the plain read found ${read.result} events, ${loaded} were loaded`);
  await checkpoint();
  const runners = PROJECTIONS.map((projection) => new ProjectionRunner({ projection, store, pool: readModel, batchSize: BATCH }));
  const rebuilt = await measure(async () => {
    await Promise.all(runners.map((runner) => runner.start()));
    await Promise.all(listeners.map((listener) => listener.reached(head, Math.max(300_000, events))));
  }, 'analytics.rebuild');
  await Promise.all(runners.map((runner) => runner.stop()));
  const rows = Number((await admin.query<{ n: string }>('select count(*)::text as n from proj_analytics_purchases.orders')).rows[0].n);
  const oursPerS = perSecond(loaded, rebuilt.ms);
  const limitPerS = perSecond(read.result, read.ms);
  ctx.emit({
    bench: 'analytics.rebuild',
    ours_per_s: oursPerS,
    limit_per_s: limitPerS,
    ratio: ratio(oursPerS, limitPerS),
    target_ratio: 0.3,
    events: loaded,
    projections: PROJECTIONS.length,
    orders: rows,
    batch_size: BATCH,
    synchronous_commit: synchronousCommit,
    postgres,
    ours_s: round(rebuilt.ms / 1000, 3),
    limit_s: round(read.ms / 1000, 3),
    limit: 'store.readAll of the same events from START, pages of batch_size with the union of the projections\' filters, no projection work; ours: every analytics projection rebuilt from position 0 at once, until the last reaches the head',
    ...tail,
  });

  // 3. The customer view through the gateway under load, beside a bare Fastify route answering the customer's row with one SELECT by primary key.
  await runCustomerViewLoad(ctx, database, admin, story.customerId, tail);
};

/** One process of the bench's own (the bare route), ready when it says it listens. */
const startBareRowServer = async (databaseUrl: string, port: number, env: Record<string, string>) => {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'analytics', 'bare-row-server.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, DATABASE_URL: databaseUrl, PORT: String(port), SWC_NODE_PROJECT: join(REPO_ROOT, 'tools', 'bench', 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => line.includes('listening') && resolve());
    void exited.then(() => reject(new Error('the bare row server ended before it listened')));
  });
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
};

interface Load {
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** CPU milliseconds per request of each process that served it, and of autocannon (this process). */
  cpuMsPerRequest: Record<string, number>;
}

/** CPU milliseconds (user + system) a process has used, from /proc (the children are not ours to ask); NaN elsewhere. */
const cpuMsOf = (pid: number): number => (processCpuUs(pid) ?? Number.NaN) / 1000;

/**
 * autocannon against one URL: requests per second (mean), latency p50 and p99, and the CPU per request
 * of the processes serving it; any non-2xx answer or error fails the bench. With BENCH_CPU_PROFILE_DIR
 * and a label, those processes are CPU-profiled meanwhile (see service-profiles.ts).
 */
const load = async (
  url: string,
  settings: { seconds: number; connections: number; headers?: Record<string, string> },
  servers: Record<string, number>,
  profileLabel?: string,
  backends?: () => Promise<number[]>,
): Promise<Load> => {
  // Loaded here, not with the file: the runner loads every bench file, and the others need no autocannon.
  const { default: autocannon } = await import('autocannon');
  const stopProfiles = profileWindow(Object.values(servers), profileLabel);
  const before = Object.fromEntries(Object.entries(servers).map(([name, pid]) => [name, cpuMsOf(pid)]));
  const backendsBefore = new Map((backends ? await backends() : []).map((pid) => [pid, cpuMsOf(pid)]));
  const ownBefore = process.cpuUsage();
  const result = await autocannon({ url, connections: settings.connections, duration: settings.seconds, headers: settings.headers ?? {} });
  const own = process.cpuUsage(ownBefore);
  const after = Object.fromEntries(Object.entries(servers).map(([name, pid]) => [name, cpuMsOf(pid)]));
  // A backend that connected meanwhile counts from zero (its start-up included); one that left is not counted.
  const postgresMs = backends ? (await backends()).reduce((sum, pid) => sum + cpuMsOf(pid) - (backendsBefore.get(pid) ?? 0), 0) : undefined;
  await stopProfiles();
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  const requests = result.requests.total;
  const perRequest = (ms: number) => (requests > 0 ? round(ms / requests, 4) : 0);
  return {
    requestsPerS: round(result.requests.average, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    cpuMsPerRequest: {
      ...Object.fromEntries(Object.keys(servers).map((name) => [name, perRequest(after[name] - before[name])])),
      ...(postgresMs === undefined ? {} : { postgres: perRequest(postgresMs) }),
      autocannon: perRequest((own.user + own.system) / 1000),
    },
  };
};

/** A contender's rounds as fields of the line: the median rate, p50/p99 of the median round, every round's rate, their spread, CPU per request (medians). */
const loadFields = (who: string, runs: readonly Load[]): Record<string, string | number> => {
  const rates = runs.map((r) => r.requestsPerS);
  const middle = runs.find((r) => r.requestsPerS === median(rates)) ?? runs[Math.floor(runs.length / 2)];
  const cpu = Object.keys(runs[0].cpuMsPerRequest).map((process) => [`${who}_cpu_ms_per_request_${process}`, median(runs.map((r) => r.cpuMsPerRequest[process]))]);
  return {
    [`${who}_per_s`]: median(rates),
    [`${who}_p50_ms`]: middle.p50Ms,
    [`${who}_p99_ms`]: middle.p99Ms,
    [`${who}_rounds`]: rates.join(','),
    [`${who}_spread`]: spread(rates),
    ...Object.fromEntries(cpu),
  };
};

const runCustomerViewLoad = async (ctx: BenchContext, database: { url: string; name: string }, admin: Pool, customerId: string, tail: Record<string, string | number | boolean>): Promise<void> => {
  const databaseUrl = database.url;
  // The server's processes serving the bench's database (all of them on this machine: /proc has their CPU).
  const backends = async () => (await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database.name])).rows.map((r) => r.pid);
  const seconds = ctx.options.quick ? 3 : 10;
  const rounds = ctx.options.rounds ?? defaultRounds(ctx.options.quick);
  const connections = ctx.options.concurrency ?? 10;
  const [analyticsPort, gatewayPort, barePort, closedPort] = [await freePort(), await freePort(), await freePort(), await refusedPort()];
  const analytics = startServiceProcess({ name: 'analytics', root: REPO_ROOT, env: { DATABASE_URL: databaseUrl, PORT: String(analyticsPort), LOG_LEVEL: 'warn', ...profileEnv('analytics') }, output: process.stderr });
  ctx.onCleanup(() => stopServiceProcess(analytics));
  await analytics.ready;
  // The gateway needs a URL for every routed service: the others get a port nothing listens on (only /customers is called).
  const serviceUrls = [...new Set(Object.values(ROUTES))].map((name) => `${name}=http://127.0.0.1:${name === 'analytics' ? analyticsPort : closedPort}`).join(',');
  const gateway = startServiceProcess({
    name: 'gateway',
    root: REPO_ROOT,
    env: { DATABASE_URL: databaseUrl, PORT: String(gatewayPort), LOG_LEVEL: 'warn', SERVICE_URLS: serviceUrls, ADMIN_API_KEY: ADMIN_KEY, ...UNREFUSING_RATE_LIMIT, ...profileEnv('gateway') },
    output: process.stderr,
  });
  ctx.onCleanup(() => stopServiceProcess(gateway));
  await gateway.ready;
  const bareServer = await startBareRowServer(databaseUrl, barePort, profileEnv('bare'));
  ctx.onCleanup(bareServer.stop);

  const headers = { 'x-api-key': ADMIN_KEY };
  const contenders = {
    bare: { url: `http://127.0.0.1:${barePort}/customers/${customerId}`, headers: {}, servers: { bare: bareServer.pid } },
    ours: { url: `http://127.0.0.1:${gatewayPort}/api/v1/customers/${customerId}`, headers, servers: { gateway: gateway.child.pid!, analytics: analytics.child.pid! } },
    // Where the time goes: the same route on the service's own port, without the gateway's hop.
    direct: { url: `http://127.0.0.1:${analyticsPort}/api/v1/customers/${customerId}`, headers: {}, servers: { analytics: analytics.child.pid! } },
  };
  const view = (await (await fetch(contenders.ours.url, { headers })).json()) as { openDeals?: unknown[]; orders?: unknown[]; leads?: unknown[] };
  if (!view.openDeals?.length || !view.orders?.length || !view.leads?.length) throw new Error(`the story customer's view is not filled: ${JSON.stringify(view)}`);
  // Each warms up under the same settings (JIT of the swc-compiled service and gateway, pools, prepared
  // statements: the first seconds run at a fifth of the rate), then the rounds, in an order that turns by
  // one each round, so that drifts of the shared machine's load fall on all alike; the median counts.
  const names = Object.keys(contenders) as (keyof typeof contenders)[];
  for (const name of names) await load(contenders[name].url, { seconds: ctx.options.quick ? 3 : 5, connections, headers: contenders[name].headers }, contenders[name].servers);
  const runs: Record<keyof typeof contenders, Load[]> = { bare: [], ours: [], direct: [] };
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(r + i) % names.length];
      const c = contenders[name];
      // Two seconds unmeasured first: pools drop connections idle for 10 s (pg's default), and a new backend plans the view cold.
      await load(c.url, { seconds: 2, connections, headers: c.headers }, c.servers);
      runs[name].push(await load(c.url, { seconds, connections, headers: c.headers }, c.servers, r === 0 ? `customer_view.${name}` : undefined, backends));
    }
  }
  const ratios = runs.ours.map((o, r) => ratio(o.requestsPerS, runs.bare[r].requestsPerS));
  const [oursFields, bareFields] = [loadFields('ours', runs.ours), loadFields('limit', runs.bare)];
  ctx.emit({
    bench: 'analytics.customer_view',
    ours_per_s: oursFields.ours_per_s,
    limit_per_s: bareFields.limit_per_s,
    ratio: ratio(Number(oursFields.ours_per_s), Number(bareFields.limit_per_s)),
    target_ratio: 0.5,
    ratio_rounds: ratios.join(','),
    ratio_spread: spread(ratios),
    ...oursFields,
    ...bareFields,
    ...loadFields('service_direct', runs.direct),
    connections,
    seconds_per_round: seconds,
    limit: 'a bare Fastify route (its own process, a pg pool of 20 as the service\'s) answering the customer\'s profile row with one prepared SELECT by primary key; ours: GET /api/v1/customers/:id through the gateway (API key, proxy) to the analytics service (validation, read-your-writes check, the answer held since its first request: the service writes every read model of the view itself, and none has moved); same autocannon settings, warm-up (5 s, then 2 s before each round) and rounds for both; cpu_ms_per_request_<process> from /proc (autocannon: this process; postgres: the server\'s backends of the bench\'s database)',
    ...tail,
    loadavg_1m_after: round(loadavg()[0], 2),
  });
};

registerBench({
  name: 'analytics',
  description:
    'The analytics service: the value model fit (BG/NBD and Gamma-Gamma) on the full CDNOW cohort beside the issue\'s limit; a full rebuild of every analytics projection (cdnow_master plus cloned histories) beside a plain read of the same events; the customer view through the gateway under load (autocannon) beside a bare Fastify route answering the customer\'s row',
  run: runAnalyticsBench,
});
