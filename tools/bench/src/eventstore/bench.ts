import { openMeasuredDatabase } from '../database';
import { Latencies, measure, perSecond, ratio, runConcurrently } from '../measure';
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
  concurrency: number;
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
    readRounds: options.quick ? 1 : 3,
    concurrency: options.concurrency ?? 8,
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
  p50Ms?: number;
  p99Ms?: number;
}

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
  add(await OursContender.create(database.url, sizes.concurrency));
  if (ctx.options.peer) add(await EmmettContender.create(database.url, sizes.concurrency));
  // Ours with personal data sealed: in the batch append and the read, beside ours without (issue 9).
  const sealed = await OursContender.create(database.url, sizes.concurrency, { sealed: true });
  ctx.onCleanup(() => sealed.close());

  const appendPhase = async <W extends StreamWork | readonly StreamWork[]>(
    label: string,
    warmup: readonly W[],
    work: readonly W[],
    append: (contender: Contender, work: W, latencies: Latencies) => Promise<void>,
    who: readonly Contender[] = contenders,
  ): Promise<Map<string, Segment>> => {
    const segments = new Map<string, Segment>();
    const events = work.reduce((sum, w) => sum + ('streamId' in w ? w.events.length : countEvents(w)), 0);
    ctx.log(`${label}: ${events} events in ${work.length} calls, ${sizes.concurrency} writers`);
    for (const contender of who) {
      await during(contender, () =>
        runConcurrently(sizes.concurrency, warmup, (stream) => append(contender, stream, new Latencies())),
      );
      await checkpoint();
      const latencies = new Latencies();
      const measured = await measure(() =>
        during(contender, () =>
          runConcurrently(sizes.concurrency, work, (stream) => append(contender, stream, latencies)),
        ),
      );
      const segment: Segment = {
        events,
        ms: measured.ms,
        perSecond: perSecond(events, measured.ms),
        rssPeakMb: measured.rssPeakMb,
        cpuS: measured.cpuS,
        p50Ms: latencies.quantile(0.5),
        p99Ms: latencies.quantile(0.99),
      };
      segments.set(contender.name, segment);
      ctx.log(`${label} ${contender.name}: ${events} events in ${(measured.ms / 1000).toFixed(2)} s, ${segment.perSecond}/s`);
    }
    return segments;
  };

  const common = { concurrency: sizes.concurrency, synchronous_commit: synchronousCommit };
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
      events: withSealing.events,
      ...common,
      ...extra,
      ours_node_cpu_s: withSealing.cpuS,
      limit_node_cpu_s: ours.cpuS,
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
      events: ours.events,
      ...common,
      ...extra,
      limit_events: limit.events,
      ours_s: round3(ours.ms / 1000),
      limit_s: round3(limit.ms / 1000),
      ...latency('ours', ours),
      ...latency('limit', limit),
      ours_node_cpu_s: ours.cpuS,
      limit_node_cpu_s: limit.cpuS,
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
      events: peer.events,
      ...common,
      ...extra,
      peer_s: round3(peer.ms / 1000),
      ...latency('peer', peer),
      peer_node_cpu_s: peer.cpuS,
      peer_rss_peak_mb: peer.rssPeakMb,
      ...peerExtra,
      ...tail,
    });
  };

  // 1. One event per append: each writer owns its streams, expects no stream, then the revision it got.
  const singles = await appendPhase('append.single', singleWarmup, single, (c, stream, l) => c.appendOneByOne(stream, l));
  emitPair('eventstore.append.single', singles, {}, LIMITS.single);

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
  const sealedWritten = countEvents(batchWarmup) + countEvents(batches);
  for (const contender of readers) await during(contender, () => contender.readAll(sizes.pageSize, sizes.readWarmup));
  const rounds = new Map<string, Segment[]>(readers.map((c) => [c.name, []]));
  for (let round = 1; round <= sizes.readRounds; round++) {
    for (const contender of readers) {
      const measured = await measure(() => during(contender, () => contender.readAll(sizes.pageSize)));
      const events = measured.result;
      const expected = contender === sealed ? sealedWritten : expectedBase + multiWritten(contender);
      if (events !== expected) ctx.log(`read.all ${contender.name}: read ${events} events, but ${expected} were appended`);
      const segment: Segment = {
        events,
        ms: measured.ms,
        perSecond: perSecond(events, measured.ms),
        rssPeakMb: measured.rssPeakMb,
        cpuS: measured.cpuS,
      };
      rounds.get(contender.name)?.push(segment);
      const seconds = (measured.ms / 1000).toFixed(2);
      ctx.log(`read.all ${contender.name} round ${round}: ${events} events in ${seconds} s, ${segment.perSecond}/s`);
    }
  }
  const reads = new Map<string, Segment>();
  for (const [name, segments] of rounds) {
    const sorted = [...segments].sort((a, b) => a.perSecond - b.perSecond);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    reads.set(name, { ...median, rssPeakMb: Math.max(...segments.map((s) => s.rssPeakMb)) });
  }
  const readExtra = { page_size: sizes.pageSize, rounds: sizes.readRounds, events_appended: expectedBase + multiWritten(contenders[0]) };
  emitPair('eventstore.read.all', reads, readExtra, LIMITS.read, {
    peer_read: PEER_READ_METHOD,
  });
  emitSealed('eventstore.read.all.sealed', reads, { page_size: sizes.pageSize, rounds: sizes.readRounds });
};

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
