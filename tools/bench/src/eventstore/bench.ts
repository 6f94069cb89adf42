import { SealingWorker } from '@clientela/personal-data';
import { openMeasuredDatabase } from '../database';
import { FsyncProbe, isLocalServer } from '../disk';
import { defaultRounds } from '../rounds';
import { collectGarbage, epochMs, Latencies, measure, median, perSecond, ratio, runConcurrently, spread, type Measured } from '../measure';
import type { BenchContext, BenchLine, BenchOptions, LineValue } from '../registry';
import type { Contender } from './contender';
import { LimitContender } from './limit';
import { countEvents, CdnowOrders, type StreamWork } from './orders';
import { OursContender } from './ours';
import { EmmettContender, PEER_NAME, PEER_READ_METHOD } from './peer-emmett';

export interface EventStoreSizes {
  /** Events appended one per call (8 writers, each on its own streams). */
  single: number;
  singleWarmup: number;
  /** Events appended `batchSize` per call, one new stream per call. */
  batchEvents: number;
  batchWarmup: number;
  batchSize: number;
  /** Events appended one per new stream, `multiStreams` streams per appendToStreams call. */
  multiEvents: number;
  multiWarmup: number;
  multiStreams: number;
  /** Events per readAll page (and per FETCH of the limit, per batch of the peer). */
  pageSize: number;
  /** Events read before the measured reads (from the start). */
  readWarmup: number;
  /** Measured reads of everything per contender, interleaved; the median counts. */
  readRounds: number;
  /** Each append phase's work is cut into this many rounds, contenders interleaved; the median counts. */
  appendRounds: number;
  concurrency: number;
  /** Events put into each store before the phases (0: they start empty). */
  grow: number;
}

/** Streams per appendToStreams call: an ingest batch of 1,000 messages, one stream each. */
const MULTI_STREAMS_PER_CALL = 1_000;

export const eventStoreSizes = (options: BenchOptions): EventStoreSizes => {
  const single = options.events ?? (options.quick ? 200 : 20_000);
  const batchSize = options.batchSize ?? 100;
  const pageSize = options.pageSize ?? 1_000;
  return {
    single,
    singleWarmup: Math.max(20, Math.round(single / 50)),
    batchEvents: options.batchEvents ?? single * 10,
    batchWarmup: Math.max(1, options.quick ? 2 : 10) * batchSize,
    batchSize,
    multiEvents: options.batchEvents ?? single * 10,
    multiWarmup: (options.quick ? 1 : 5) * MULTI_STREAMS_PER_CALL,
    multiStreams: MULTI_STREAMS_PER_CALL,
    pageSize,
    readWarmup: 5 * pageSize,
    readRounds: options.rounds ?? defaultRounds(options.quick),
    appendRounds: options.rounds ?? defaultRounds(options.quick),
    concurrency: options.concurrency ?? 8,
    grow: options.grow ?? 0,
  };
};

export const LIMITS = {
  single:
    'single-row INSERT per event (autocommit) into a plain table with the columns of our events table, no constraint, no index',
  batch: 'one multi-row INSERT (unnested arrays) per batch, autocommit, into the same plain table',
  multi:
    'one multi-row INSERT (unnested arrays) of the same rows per call (one event per stream, revision 0), autocommit, into the same plain table',
  read:
    'plain SELECT of the whole plain table in heap order through a server-side cursor (FETCH page_size rows per round trip, one read-only transaction)',
} as const;

interface Segment {
  events: number;
  ms: number;
  perSecond: number;
  rssPeakMb: number;
  /** CPU seconds of this (client) process during the segment. */
  cpuS: number;
  /** CPU seconds of the whole machine (the client, PostgreSQL, the rest) during the segment. */
  machineCpuS: number;
  /** The machine's CPU an event over the rounds, in µs. */
  machineCpuUsPerEvent?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** The disk's fdatasync of 8 KiB during the round, median µs (FsyncProbe; null when not sampled). */
  diskFlushUs?: number | null;
  /** The rate of each round, in the order they ran. */
  rounds: number[];
  /** Each round's diskFlushUs, in the same order. */
  diskFlushUsRounds?: (number | null)[];
}

/** One measured round of `events` events. */
const roundOf = (events: number, measured: Measured<unknown>, diskFlushUs: number | null): Omit<Segment, 'rounds'> => ({
  events,
  diskFlushUs,
  ms: measured.ms,
  perSecond: perSecond(events, measured.ms),
  rssPeakMb: measured.rssPeakMb,
  cpuS: measured.cpuS,
  machineCpuS: measured.machineCpuS,
});

/** A contender's rounds of one phase as one segment: events, time and CPU summed, the median round's rate. */
const summarise = (rounds: readonly Omit<Segment, 'rounds'>[], latencies?: Latencies): Segment => {
  const rates = rounds.map((r) => r.perSecond);
  const events = rounds.reduce((n, r) => n + r.events, 0);
  const machineCpuS = rounds.reduce((n, r) => n + r.machineCpuS, 0);
  return {
    events,
    ms: rounds.reduce((n, r) => n + r.ms, 0),
    perSecond: median(rates),
    rssPeakMb: Math.max(...rounds.map((r) => r.rssPeakMb)),
    cpuS: round3(rounds.reduce((n, r) => n + r.cpuS, 0)),
    machineCpuS: round3(machineCpuS),
    machineCpuUsPerEvent: events > 0 ? round3((machineCpuS * 1e6) / events) : undefined,
    ...(latencies ? { p50Ms: latencies.quantile(0.5), p99Ms: latencies.quantile(0.99) } : {}),
    rounds: rates,
    diskFlushUsRounds: rounds.map((r) => r.diskFlushUs ?? null),
  };
};

/** The rounds of one contender as fields of a line: `<who>_rounds` (their rates) and `<who>_spread`. */
const roundFields = (who: string, s: Segment): Record<string, LineValue> => ({
  [`${who}_rounds`]: s.rounds.join(','),
  [`${who}_spread`]: spread(s.rounds),
});

/**
 * `<who>_node_cpu_s` (this process's CPU over the rounds), `<who>_machine_cpu_s` (every core's) and
 * `<who>_machine_cpu_us_per_event`: where a ratio comes from when the machine's CPU is what bounds it.
 */
const cpuFields = (who: string, s: Segment): Record<string, LineValue> => ({
  [`${who}_node_cpu_s`]: s.cpuS,
  [`${who}_machine_cpu_s`]: s.machineCpuS,
  [`${who}_machine_cpu_us_per_event`]: s.machineCpuUsPerEvent ?? null,
});

/**
 * `<who>_disk_flush_us` (the median of its rounds' medians) and `<who>_disk_flush_us_rounds`: how long the disk
 * took to flush 8 KiB while each of its rounds ran. A rate that falls with a slower disk waits on
 * WAL flushes; one that does not is bound elsewhere.
 */
const diskFlushFields = (who: string, s: Segment): Record<string, LineValue> => {
  const sampled = (s.diskFlushUsRounds ?? []).filter((us): us is number => us !== null);
  if (sampled.length === 0) return {};
  return { [`${who}_disk_flush_us`]: median(sampled), [`${who}_disk_flush_us_rounds`]: (s.diskFlushUsRounds ?? []).join(',') };
};

/** The ratio of each round (ours / theirs, same round) and their spread: what the median ratio hides. */
const ratioFields = (ours: Segment, theirs: Segment): Record<string, LineValue> => {
  const ratios = ours.rounds.map((r, i) => ratio(r, theirs.rounds[i] ?? 0));
  return { ratio_rounds: ratios.join(','), ratio_spread: spread(ratios) };
};

/** `items` cut into `count` contiguous slices of about the same size (fewer when there are fewer items). */
const slices = <T>(items: readonly T[], count: number): T[][] => {
  const n = Math.max(1, Math.min(count, items.length));
  return Array.from({ length: n }, (_, i) => items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)));
};

/** `eventstore.<phase>.<contender>.r<round>`: the file name of the part's CPU profile (BENCH_CPU_PROFILE_DIR). */
const profileLabel = (phase: string, contender: Contender, round: number): string => `eventstore.${phase}.${contender.name}.r${round}`;

const during = async <T>(contender: Contender, work: () => Promise<T>): Promise<T> => {
  contender.activate();
  try {
    return await work();
  } finally {
    contender.deactivate();
  }
};

/**
 * Our PostgresEventStore against the limit of the same SQL on a plain table, and against the
 * peer (Emmett), in one fresh database: appends of one event, appends of batches, read of all.
 */
export const runEventStoreBench = async (ctx: BenchContext): Promise<void> => {
  const sizes = eventStoreSizes(ctx.options);
  const at = new Date().toISOString();
  const { database, admin, synchronousCommit, postgres, checkpoint } = await openMeasuredDatabase(ctx);
  ctx.log(
    `database ${database.name}, PostgreSQL ${postgres}, synchronous_commit=${synchronousCommit}; sizes ${JSON.stringify(sizes)}`,
  );
  // The disk's flush time beside every append round, when the server's disk is this machine's.
  const probe = isLocalServer(ctx.options.serverUrl) ? FsyncProbe.start() : undefined;
  if (probe) ctx.onCleanup(() => probe.stop());
  const orders = new CdnowOrders();
  const singleWarmup = orders.customerStreams(sizes.singleWarmup);
  const single = orders.customerStreams(sizes.single);
  const batchWarmup = orders.batches(sizes.batchWarmup, sizes.batchSize);
  const batches = orders.batches(sizes.batchEvents, sizes.batchSize);
  const multiWarmup = orders.multiStreamCalls(sizes.multiWarmup, sizes.multiStreams);
  const multiCalls = orders.multiStreamCalls(sizes.multiEvents, sizes.multiStreams);

  const contenders: Contender[] = [];
  const add = <C extends Contender>(contender: C): C => {
    contenders.push(contender);
    ctx.onCleanup(() => contender.close());
    return contender;
  };
  add(await LimitContender.create(database.url, sizes.concurrency));
  const unsealed = add(await OursContender.create(database.url, sizes.concurrency));
  if (ctx.options.peer) add(await EmmettContender.create(database.url, sizes.concurrency));
  // Ours with personal data sealed: in the batch append and the read, beside ours without (issue 9).
  const sealed = await OursContender.create(database.url, sizes.concurrency, { sealed: true });
  ctx.onCleanup(() => sealed.close());
  // Its sealing thread up before the warm-up, as in a service under steady load (the first large call starts it and seals inline meanwhile).
  ctx.log(`sealing thread ${(await SealingWorker.shared().ready()) ? 'up' : 'did not start: sealing inline'}`);
  if (sizes.grow > 0) {
    for (const contender of [...contenders, sealed]) {
      const started = Date.now();
      await contender.grow?.(sizes.grow);
      ctx.log(`grew ${contender.name} by ${sizes.grow} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    await checkpoint();
  }

  /**
   * Each contender warms up, then the work runs in `appendRounds` slices; in each round every
   * contender appends that round's slice, in an order that turns by one each round, so that load
   * from elsewhere on the machine falls on all of them alike.
   */
  const appendPhase = async <W extends StreamWork | readonly StreamWork[]>(
    label: string,
    warmup: readonly W[],
    work: readonly W[],
    append: (contender: Contender, work: W, latencies: Latencies) => Promise<void>,
    who: readonly Contender[] = contenders,
  ): Promise<Map<string, Segment>> => {
    const eventsOf = (items: readonly W[]): number => items.reduce((sum, w) => sum + ('streamId' in w ? w.events.length : countEvents(w)), 0);
    const parts = slices(work, sizes.appendRounds);
    ctx.log(`${label}: ${eventsOf(work)} events in ${work.length} calls, ${sizes.concurrency} writers, ${parts.length} rounds`);
    for (const contender of who) {
      await during(contender, () =>
        runConcurrently(sizes.concurrency, warmup, (stream) => append(contender, stream, new Latencies())),
      );
    }
    const rounds = new Map<string, Omit<Segment, 'rounds'>[]>(who.map((c) => [c.name, []]));
    const latencies = new Map<string, Latencies>(who.map((c) => [c.name, new Latencies()]));
    for (const [index, part] of parts.entries()) {
      const events = eventsOf(part);
      for (let turn = 0; turn < who.length; turn++) {
        const contender = who[(turn + index) % who.length];
        const timer = latencies.get(contender.name) as Latencies;
        await checkpoint();
        // Labelled per contender and round: BENCH_CPU_PROFILE_DIR profiles each on its own (profileLabel).
        const from = epochMs();
        const measured = await measure(
          () => during(contender, () => runConcurrently(sizes.concurrency, part, (stream) => append(contender, stream, timer))),
          profileLabel(label, contender, index + 1),
        );
        const segment = roundOf(events, measured, probe?.between(from, epochMs())?.medianUs ?? null);
        rounds.get(contender.name)?.push(segment);
        const flush = segment.diskFlushUs == null ? '' : `, disk flush ${segment.diskFlushUs} µs`;
        ctx.log(`${label} ${contender.name} round ${index + 1}: ${events} events in ${(measured.ms / 1000).toFixed(2)} s, ${segment.perSecond}/s${flush}`);
      }
    }
    return new Map(who.map((c) => [c.name, summarise(rounds.get(c.name) ?? [], latencies.get(c.name))]));
  };

  const common = { concurrency: sizes.concurrency, synchronous_commit: synchronousCommit, store_events_before: sizes.grow };
  const tail = { postgres, quick: ctx.options.quick, at };
  /** Ours with personal data sealed beside ours without, measured in the same phase. */
  const emitSealed = (bench: string, segments: Map<string, Segment>, extra: Record<string, LineValue>): void => {
    const ours = segments.get('ours');
    const withSealing = segments.get('sealed');
    if (!ours || !withSealing) throw new Error(`${bench}: a contender is missing`);
    ctx.emit({
      bench,
      ours_per_s: withSealing.perSecond,
      limit_per_s: ours.perSecond,
      ratio: ratio(withSealing.perSecond, ours.perSecond),
      ...ratioFields(withSealing, ours),
      events: withSealing.events,
      ...common,
      ...extra,
      ...roundFields('ours', withSealing),
      ...roundFields('limit', ours),
      ...cpuFields('ours', withSealing),
      ...cpuFields('limit', ours),
      ...diskFlushFields('ours', withSealing),
      ...diskFlushFields('limit', ours),
      limit: 'the same store without personal data sealing (ours); here the CDNOW customer id of each event is personal, sealed with AES-256-GCM under a key per customer kept in PostgreSQL',
      ...tail,
    });
  };
  const emitPair = (
    bench: string,
    segments: Map<string, Segment>,
    extra: Record<string, LineValue>,
    limitHow: string,
    peerExtra: Record<string, LineValue> = {},
  ): void => {
    const ours = segments.get('ours');
    const limit = segments.get('limit');
    if (!ours || !limit) throw new Error(`${bench}: a contender is missing`);
    const latency = (who: string, s: Segment): Record<string, LineValue> =>
      s.p50Ms === undefined ? {} : { [`${who}_p50_ms`]: s.p50Ms, [`${who}_p99_ms`]: s.p99Ms ?? null };
    const line: BenchLine = {
      bench,
      ours_per_s: ours.perSecond,
      limit_per_s: limit.perSecond,
      ratio: ratio(ours.perSecond, limit.perSecond),
      ...ratioFields(ours, limit),
      events: ours.events,
      ...common,
      ...extra,
      ...roundFields('ours', ours),
      ...roundFields('limit', limit),
      limit_events: limit.events,
      ours_s: round3(ours.ms / 1000),
      limit_s: round3(limit.ms / 1000),
      ...latency('ours', ours),
      ...latency('limit', limit),
      ...cpuFields('ours', ours),
      ...cpuFields('limit', limit),
      ...diskFlushFields('ours', ours),
      ...diskFlushFields('limit', limit),
      ours_rss_peak_mb: ours.rssPeakMb,
      limit_rss_peak_mb: limit.rssPeakMb,
      limit: limitHow,
      ...tail,
    };
    ctx.emit(line);
    const peer = segments.get('peer');
    if (!peer) return;
    ctx.emit({
      bench: `${bench}.peer`,
      ours_per_s: ours.perSecond,
      peer: PEER_NAME,
      peer_per_s: peer.perSecond,
      ratio: ratio(ours.perSecond, peer.perSecond),
      ...ratioFields(ours, peer),
      events: peer.events,
      ...common,
      ...extra,
      ...roundFields('peer', peer),
      peer_s: round3(peer.ms / 1000),
      ...latency('peer', peer),
      ...cpuFields('peer', peer),
      ...diskFlushFields('peer', peer),
      peer_rss_peak_mb: peer.rssPeakMb,
      ...peerExtra,
      ...tail,
    });
  };

  // 1. One event per append: each writer owns its streams, expects no stream, then the revision it got.
  const singles = await appendPhase('append.single', singleWarmup, single, (c, stream, l) => c.appendOneByOne(stream, l));
  emitPair('eventstore.append.single', singles, {}, LIMITS.single);
  // The sealed store is measured in the batch append and the read only, but it gets every phase's
  // events (untimed here and after phase 3), so that its read reads what ours reads: the same
  // events, from a store of the same size and history (against a store half the size of ours, the
  // sealed read ran at 0.71 of ours; against one of its own size, 0.84: tools/bench/README.md).
  const fillSealed = async <W>(work: readonly W[], append: (work: W) => Promise<void>): Promise<void> => {
    const started = Date.now();
    await during(sealed, () => runConcurrently(sizes.concurrency, work, append));
    ctx.log(`sealed store: ${work.length} calls appended untimed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
  await fillSealed([...singleWarmup, ...single], (stream) => sealed.appendOneByOne(stream, new Latencies()));

  // 2. A batch per append, one new stream per batch.
  const batched = await appendPhase('append.batch', batchWarmup, batches, (c, stream, l) => c.appendBatch(stream, l), [...contenders, sealed]);
  emitPair('eventstore.append.batch', batched, { batch_size: sizes.batchSize }, LIMITS.batch);
  emitSealed('eventstore.append.batch.sealed', batched, { batch_size: sizes.batchSize });

  // 3. One event into each of many new streams per call (identity resolution's ingest batches).
  // The peer has no such call; beside the limit, the line also says how it compares with our own
  // batch append of phase 2 (the pipeline's budget is a share of that).
  const multiContenders = contenders.filter((c) => c.appendToStreams !== undefined);
  const multi = await appendPhase(
    'append.multi',
    multiWarmup,
    multiCalls,
    (c, call, l) => (c.appendToStreams ? c.appendToStreams(call, l) : Promise.resolve()),
    multiContenders,
  );
  await fillSealed([...multiWarmup, ...multiCalls], (call) => sealed.appendToStreams(call, new Latencies()));
  const oursMulti = multi.get('ours');
  const oursBatch = batched.get('ours');
  emitPair('eventstore.append.multi', multi, {
    streams_per_call: sizes.multiStreams,
    events_per_stream: 1,
    ours_batch_per_s: oursBatch?.perSecond ?? null,
    ratio_to_ours_batch: oursMulti && oursBatch ? ratio(oursMulti.perSecond, oursBatch.perSecond) : null,
  }, LIMITS.multi);

  // 4. Everything each contender wrote, forwards in global order, from a vacuumed database. Reads
  // change nothing, so they are repeated in interleaved rounds and the median round counts.
  const multiWritten = (c: Contender): number =>
    c.appendToStreams ? multiWarmup.reduce((n, call) => n + countEvents(call), 0) + multiCalls.reduce((n, call) => n + countEvents(call), 0) : 0;
  const expectedBase = countEvents(singleWarmup) + countEvents(single) + countEvents(batchWarmup) + countEvents(batches);
  await admin.query('vacuum analyze');
  await checkpoint();
  const readers = [...contenders, sealed];
  // Warm-up: ours, the limit and the sealed store read everything once, so that every measured
  // round finds what a running reader has (the server's cache of the table, the sealed store's cache
  // of its 23,570 customers' keys: a first read also fetches those, one query a page); the peer,
  // whose whole read takes ten times longer, its first pages only.
  for (const contender of readers) await during(contender, () => contender.readAll(sizes.pageSize, contender.name === 'peer' ? sizes.readWarmup : Infinity));
  const rounds = new Map<string, Omit<Segment, 'rounds'>[]>(readers.map((c) => [c.name, []]));
  // The order turns by one each round, but ours and the sealed store read back to back (which goes
  // first alternating): the sealed figure is their ratio, and whatever read just before either one
  // weighs on it (after the peer's 40 s read of a large heap, the sealed read ran at 0.63-0.74 of
  // ours; beside ours, 0.74-0.80). A full collection before each read, for the same reason.
  const slots: Contender[][] = [...contenders.filter((c) => c !== unsealed).map((c) => [c]), [unsealed, sealed]];
  for (let round = 1; round <= sizes.readRounds; round++) {
    const order = slots.map((_, turn) => slots[(turn + round - 1) % slots.length]).flatMap((slot) => (slot.length === 2 && round % 2 === 0 ? [...slot].reverse() : slot));
    for (const contender of order) {
      await collectGarbage();
      const measured = await measure(() => during(contender, () => contender.readAll(sizes.pageSize)), profileLabel('read.all', contender, round));
      const events = measured.result;
      const expected = expectedBase + multiWritten(contender);
      if (events !== expected) ctx.log(`read.all ${contender.name}: read ${events} events, but ${expected} were appended`);
      rounds.get(contender.name)?.push(roundOf(events, measured, null));
      const seconds = (measured.ms / 1000).toFixed(2);
      ctx.log(`read.all ${contender.name} round ${round}: ${events} events in ${seconds} s, ${perSecond(events, measured.ms)}/s`);
    }
  }
  // Each read reads the same events: the events of one round, the median round's rate.
  const reads = new Map<string, Segment>();
  for (const [name, segments] of rounds) reads.set(name, { ...summarise(segments), events: segments[0]?.events ?? 0 });
  const readExtra = { page_size: sizes.pageSize, rounds: sizes.readRounds, events_appended: expectedBase + multiWritten(contenders[0]) };
  emitPair('eventstore.read.all', reads, readExtra, LIMITS.read, {
    peer_read: PEER_READ_METHOD,
  });
  emitSealed('eventstore.read.all.sealed', reads, { page_size: sizes.pageSize, rounds: sizes.readRounds });
};

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
