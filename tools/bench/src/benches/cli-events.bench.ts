import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { START } from '@clientela/contracts';
import { PostgresEventStore } from '@clientela/event-store';
import { waitUntilReadable } from '@clientela/event-store/testing';
// The sample projection's catalogue (libs/projections' tests), which the projections bench's events follow.
import { ordersCatalogue } from '../../../../libs/projections/src/testing/sample-orders';
import { OrderTimeline } from '../projections/orders';
import { perSecond, ratio, round, runConcurrently } from '../measure';
import { REPO_ROOT } from '../paths';
import { peakRssMiB } from '../processes';
import { registerBench, type BenchContext } from '../registry';

/** What `clientela events` may take at its peak, whatever the number of events (issue 12). */
const RSS_LIMIT_MIB = 200;

/** Runs the CLI's bin as `npx clientela events` would, counting the lines it prints and watching its peak RSS. */
const runEvents = (databaseUrl: string, args: string[]): Promise<{ lines: number; ms: number; peakRssMiB: number }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'tools', 'cli', 'bin', 'clientela.js'), 'events', ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    let peak = 0;
    let stderr = '';
    const watch = setInterval(() => (peak = Math.max(peak, peakRssMiB(child.pid!) ?? 0)), 20);
    child.stdout!.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // VmHWM only grows: the last reading before the process ends is its peak (within the 20 ms of the last poll).
    child.on('exit', () => clearInterval(watch));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve({ lines, ms: performance.now() - started, peakRssMiB: peak }) : reject(new Error(`clientela events exited ${code}: ${stderr}`)),
    );
  });

/**
 * `clientela events` over the whole store (1,000,000 events by default): events/s through the CLI's
 * process and pipe, beside the same pages read by the store in this process (no serialisation, no
 * pipe); and the CLI process's peak RSS, after a tenth of the events and after all of them.
 */
const runCliEventsBench = async (context: BenchContext): Promise<void> => {
  const total = context.options.events ?? (context.options.quick ? 20_000 : 1_000_000);
  const database = await context.createDatabase('clientela_bench_cli');
  const store = await PostgresEventStore.create({ connectionString: database.url, catalogue: ordersCatalogue(), poolSize: 8 });
  context.onCleanup(() => store.close());
  const timeline = new OrderTimeline(total);
  const batches = timeline.batches(500);
  let started = performance.now();
  let last = START;
  await runConcurrently(4, Array.from({ length: 4 }), async () => {
    for (let next = batches.next(); !next.done; next = batches.next()) {
      const { position } = await store.append(next.value.streamId, next.value.events, { expectedRevision: 'no_stream' });
      if (position > last) last = position;
    }
  });
  // Readers see only what is below every running transaction of the server: wait until all of it is readable.
  await waitUntilReadable(store, last, 120_000);
  context.log(`cli-events: loaded ${total} events in ${round((performance.now() - started) / 1000, 1)} s`);

  // A tenth first: the position of the event at a tenth of the store bounds it.
  let tenth = START;
  let read = 0;
  started = performance.now();
  for (let from = START; ; ) {
    const page = await store.readAll({ fromPosition: from, maxCount: 1_000, raw: true });
    read += page.events.length;
    if (tenth === START && read >= total / 10) tenth = page.events[page.events.length - 1 - (read - Math.round(total / 10))].position;
    if (page.isEnd) break;
    from = page.nextPosition;
  }
  const limitMs = performance.now() - started;
  if (read !== total) throw new Error(`cli-events: the store read ${read} events, ${total} were loaded`);

  const small = await runEvents(database.url, ['--to-position', tenth.toString()]);
  const large = await runEvents(database.url, []);
  if (small.lines !== Math.round(total / 10) || large.lines !== total) throw new Error(`cli-events: printed ${small.lines}/${large.lines} lines, expected ${Math.round(total / 10)}/${total}`);
  context.emit({
    bench: 'cli-events.export',
    events: total,
    ours_per_s: perSecond(large.lines, large.ms),
    limit_per_s: perSecond(read, limitMs),
    ratio: ratio(perSecond(large.lines, large.ms), perSecond(read, limitMs)),
    peak_rss_mib_tenth: small.peakRssMiB,
    peak_rss_mib: large.peakRssMiB,
    rss_limit_mib: RSS_LIMIT_MIB,
    rss_growth: round(large.peakRssMiB / small.peakRssMiB, 3),
    within_limit: large.peakRssMiB < RSS_LIMIT_MIB,
  });
  if (large.peakRssMiB >= RSS_LIMIT_MIB) throw new Error(`cli-events: clientela events peaked at ${large.peakRssMiB} MiB, over ${RSS_LIMIT_MIB}`);
};

registerBench({
  name: 'cli-events',
  description: '`clientela events` over 1,000,000 events: events/s beside the store\'s own read, and the CLI process\'s peak RSS (must stay under 200 MiB)',
  run: runCliEventsBench,
});
