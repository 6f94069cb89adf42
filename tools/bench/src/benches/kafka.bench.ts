import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { cpus, loadavg } from 'node:os';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { logLevel, Kafka, type KafkaConfig } from 'kafkajs';
import { streamId, type RecordedEvent } from '@clientela/contracts';
import { PostgresEventStore, type EventStore, type Subscription } from '@clientela/event-store';
import { startKafka } from '@clientela/kafka-runner';
import { envelopeDecoder, EventHeaders, Relay, startKafkaConsumer } from '@clientela/messaging';
import { sampleCatalogue } from '../../../../libs/messaging/src/testing/sample-events';
import { epochMs, Latencies, measure, perSecond, median, ratio, round, runConcurrently, type Measured } from '../measure';
import { defaultRounds, inTurns, roundFields } from '../rounds';
import { FsyncProbe, isLocalServer, settleDisk } from '../disk';
import { withClient } from '../database';
import type { BenchContext, LineValue } from '../registry';
import { registerBench } from '../registry';
import { orderEvent, orderMessage, startBarePipeline, type BarePipeline } from './kafka-bare-pipeline';
import { createTopic, deleteTopic, PARTITIONS, startGroup, waitUntil } from './kafka-parts';

const BATCH = 500;

/**
 * A message as the relay makes it, by the relay's own functions: the envelope's JSON as value and
 * `eventHeaders` (id, type, schema version, stream id, revision, position) of an event like ours.
 * Until session 22 the limit sent three of those six headers, each of which kafkajs encodes and
 * decodes on its own (a buffer allocated per header and record): a cheaper message than ours.
 */
const sampleMessage = (i: number) => orderMessage(orderEvent(streamId('order'), randomUUID(), i % 50, epochMs(), BigInt(i) << 64n));

/** The limit: kafkajs producing batches (acks=-1) and one consumer group counting them, on the same broker. */
const rawProduceConsume = async (kafka: Kafka, events: number): Promise<number> => {
  const topic = `bench-raw-${randomUUID()}`;
  await createTopic(kafka, topic);
  let consumed = 0;
  const consumer = await startGroup(kafka, topic, 50, async ({ batch }) => void (consumed += batch.messages.length));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const batches = Array.from({ length: Math.ceil(events / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, events - b * BATCH) }, (_, i) => sampleMessage(b * BATCH + i)),
  );
  const started = epochMs();
  await runConcurrently(1, batches, async (messages) => void (await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] })));
  await waitUntil(() => consumed >= events, 120_000, () => `raw consumption (${consumed} of ${events})`);
  const ms = epochMs() - started;
  await producer.disconnect();
  await consumer.disconnect();
  await deleteTopic(kafka, topic);
  return ms;
};

const STAGES = ['appended', 'relay_read', 'produced', 'received', 'committed'] as const;
type Stage = (typeof STAGES)[number];

/**
 * Where an event's time goes on its way to the read model: for each stage, the time from just before
 * its append to the moment it got there (append returned, page read by the relay, produce acknowledged,
 * decoded by the consumer, transaction committed). Bench-side wrappers only: the libraries are untouched.
 */
class StageTracer {
  private readonly sentAt = new Map<string, number>();
  private stages: Record<Stage, Latencies> | undefined;
  private countFrom = Infinity;

  /** Starts a round: events sent from `countFrom` on count (the ones before warm the pipeline up). */
  begin(countFrom: number): void {
    this.stages = Object.fromEntries(STAGES.map((stage) => [stage, new Latencies()])) as Record<Stage, Latencies>;
    this.countFrom = countFrom;
    this.sentAt.clear();
  }

  end(): Record<Stage, Latencies> | undefined {
    const stages = this.stages;
    this.stages = undefined;
    this.sentAt.clear();
    return stages;
  }

  appended(sentAt: number, events: number, at: number): void {
    if (!this.stages || sentAt < this.countFrom) return;
    for (let i = 0; i < events; i++) this.stages.appended.add(at - sentAt);
  }

  /** The first stage that knows the event's id: the relay's page. */
  read(events: readonly RecordedEvent[], at: number): void {
    if (!this.stages) return;
    for (const event of events) {
      const sentAt = event.metadata.sentAt;
      if (typeof sentAt !== 'number' || sentAt < this.countFrom) continue;
      this.sentAt.set(event.id, sentAt);
      this.stages.relay_read.add(at - sentAt);
    }
  }

  reached(stage: Exclude<Stage, 'appended' | 'relay_read'>, id: string | undefined, at: number): void {
    const sentAt = id === undefined ? undefined : this.sentAt.get(id);
    if (!this.stages || sentAt === undefined || id === undefined) return;
    this.stages[stage].add(at - sentAt);
    if (stage === 'committed') this.sentAt.delete(id);
  }
}

/** The store as the relay sees it, each page it reads timed. */
const tracedStore = (store: PostgresEventStore, tracer: StageTracer): EventStore =>
  new Proxy(store, {
    get(target, property) {
      if (property === 'subscribeToAll') {
        return (options: Parameters<EventStore['subscribeToAll']>[0]): Subscription => {
          const subscription = target.subscribeToAll(options);
          return {
            [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
            close: () => subscription.close(),
            async *pages() {
              for await (const page of subscription.pages()) {
                tracer.read(page.events, epochMs());
                yield page;
              }
            },
          };
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

interface Pipeline {
  store: PostgresEventStore;
  tracer: StageTracer;
  handled: () => number;
  /** Events the relay has published (the broker acknowledged them). */
  published: () => number;
  stop(): Promise<void>;
}

/** Event store -> relay -> Kafka -> consumer group -> read model, in a fresh database. */
const startPipeline = async (ctx: BenchContext, kafkaConfig: KafkaConfig, kafka: Kafka): Promise<Pipeline> => {
  const database = await ctx.createDatabase('clientela_bench_kafka');
  const pool = new Pool({ connectionString: database.url, max: 20 });
  const store = await PostgresEventStore.create({ pool, catalogue: sampleCatalogue() });
  await pool.query('create table orders (order_id text primary key, customer_id text not null, amount numeric not null)');
  const topic = `bench-ours-${randomUUID()}`;
  await createTopic(kafka, topic);
  const tracer = new StageTracer();
  const decode = envelopeDecoder(sampleCatalogue());
  let handled = 0;
  let published = 0;
  const consumer = await startKafkaConsumer<RecordedEvent>({
    kafka,
    name: `bench-${randomUUID()}`,
    pool,
    topics: [topic],
    decoder: (message) => {
      tracer.reached('received', message.headers[EventHeaders.id], epochMs());
      return decode(message);
    },
    batchSize: BATCH,
    partitionsConsumedConcurrently: PARTITIONS,
    // One multi-row insert per batch: the read model write is one statement, not one per event.
    batchTypes: ['OrderPlaced'],
    batchHandler: async (items, { tx }) => {
      const orders = items.map(({ payload }) => payload.data as { orderId: string; customerId: string; amount: number });
      await tx.query('insert into orders (order_id, customer_id, amount) select * from unnest($1::text[], $2::text[], $3::numeric[])', [
        orders.map((order) => order.orderId),
        orders.map((order) => order.customerId),
        orders.map((order) => order.amount),
      ]);
    },
    afterCommit: (events) => {
      handled += events.length;
      const at = epochMs();
      for (const event of events) tracer.reached('committed', event.id, at);
    },
  });
  await waitUntil(() => consumer.consumer.assignment().length > 0, 60_000, () => 'the consumer to join');
  const relay = new Relay({
    store: tracedStore(store, tracer),
    pool,
    kafka: kafkaConfig,
    name: 'bench',
    topicOf: () => topic,
    batchSize: BATCH,
    onPublished: (events) => {
      published += events.length;
      const at = epochMs();
      for (const event of events) tracer.reached('produced', event.id, at);
    },
  });
  await relay.start();
  return {
    store,
    tracer,
    handled: () => handled,
    published: () => published,
    async stop() {
      await relay.stop();
      await consumer.stop();
      await store.close();
      await pool.end();
      await deleteTopic(kafka, topic);
      await database.drop();
    },
  };
};

const appendOrders = async (store: PostgresEventStore, count: number, perAppend: number, tracer?: StageTracer) => {
  const customerId = randomUUID();
  const sentAt = epochMs();
  const result = await store.append(
    streamId('order'),
    Array.from({ length: Math.min(perAppend, count) }, (_, seq) => ({
      type: 'OrderPlaced',
      data: { customerId, orderId: `${customerId}-${seq}`, seq, amount: 10 },
      metadata: { sentAt },
    })),
  );
  tracer?.appended(sentAt, Math.min(perAppend, count), epochMs());
  return result;
};

/**
 * One round of ours: `events` appended by 8 writers, timed until the read model holds them all; the
 * result says when (ms from the start) the appends had all returned and the relay had published them
 * all: where the round's time went.
 */
const oursRound = async (pipeline: Pipeline, events: number, perAppend: number, label?: string): Promise<Measured<{ appended: number; published: number }>> => {
  const before = pipeline.handled();
  const publishedBefore = pipeline.published();
  const appends = Array.from({ length: Math.ceil(events / perAppend) }, (_, i) => Math.min(perAppend, events - i * perAppend));
  return measure(async () => {
    const start = epochMs();
    let published = 0;
    const relayed = waitUntil(() => pipeline.published() >= publishedBefore + events, 300_000, () => 'the relay').then(() => (published = epochMs() - start));
    await runConcurrently(8, appends, async (count) => void (await appendOrders(pipeline.store, count, perAppend)));
    const appended = epochMs() - start;
    await waitUntil(() => pipeline.handled() >= before + events, 300_000, () => `the read model (${pipeline.handled() - before} of ${events})`);
    await relayed;
    return { appended, published };
  }, label);
};

/** A measured round's CPU an event, this process's and the whole machine's, in µs. */
const cpuPerEvent = (measured: Measured<unknown>, events: number): { node: number; machine: number } => ({
  node: round((measured.cpuS * 1e6) / events, 1),
  machine: round((measured.machineCpuS * 1e6) / events, 1),
});

/** Garbage collection's pauses in this process while watched: scavenges and mark-compacts, count, total and longest ms. */
const watchGcPauses = () => {
  const pauses = { minorCount: 0, minor: 0, minorMax: 0, major: 0, majorMax: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
      if (detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) {
        pauses.minorCount++;
        pauses.minor += entry.duration;
        pauses.minorMax = Math.max(pauses.minorMax, entry.duration);
      } else {
        pauses.major += entry.duration;
        pauses.majorMax = Math.max(pauses.majorMax, entry.duration);
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      observer.disconnect();
      return pauses;
    },
  };
};

/** Calls `tick` every 10 ms, `ticks` times from `start` (open loop: a late tick is caught up), and waits for every call. */
const everyTenMs = async (start: number, ticks: number, tick: () => Promise<unknown>): Promise<void> => {
  const pending: Promise<unknown>[] = [];
  for (let t = 0; t < ticks; t++) {
    const wait = start + t * 10 - epochMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(tick());
  }
  await Promise.all(pending);
};

/** Warm-up ticks of a steady round: appended but not counted. */
const WARM_UP_TICKS = 100;

/**
 * One round of steady load: 10 events every 10 ms, one append each, for `seconds` after one second
 * of warm-up that is appended but not counted.
 */
const steadyRound = async (pipeline: Pipeline, seconds: number) => {
  const before = pipeline.handled();
  const ticks = WARM_UP_TICKS + seconds * 100;
  const start = epochMs();
  pipeline.tracer.begin(start + WARM_UP_TICKS * 10);
  await everyTenMs(start, ticks, () => appendOrders(pipeline.store, 10, 10, pipeline.tracer));
  const offered = ticks * 10;
  await waitUntil(() => pipeline.handled() >= before + offered, 120_000, () => 'the steady events');
  const achieved = perSecond(offered, epochMs() - start);
  const stages = pipeline.tracer.end();
  if (!stages) throw new Error('kafka bench: the stage tracer was not running');
  return { achieved, stages, offered };
};

/** The same steady load through the bare pipeline (the latency's limit): latencies from just before the insert to the read model's commit. */
const bareSteadyRound = async (bare: BarePipeline, seconds: number) => {
  const before = bare.handled();
  const ticks = WARM_UP_TICKS + seconds * 100;
  const start = epochMs();
  bare.begin(start + WARM_UP_TICKS * 10);
  await everyTenMs(start, ticks, () => bare.tick(10));
  await waitUntil(() => bare.handled() >= before + ticks * 10, 120_000, () => 'the bare pipeline\'s steady events');
  return bare.end();
};

const runKafkaBench = async (ctx: BenchContext): Promise<void> => {
  const quick = ctx.options.quick;
  const events = ctx.options.events ?? (quick ? 2_000 : 50_000);
  const perAppend = ctx.options.batchSize ?? 50;
  const rounds = ctx.options.rounds ?? defaultRounds(quick);
  // 30 s a round: the broker stops for a young collection every 4-4.5 s (14-21 ms, holding the 15-20
  // events produced meanwhile), so a round of 10 s held two or three of them, and which it was moved its
  // p99 by a third (tools/bench/README.md, session 28); over 30 s they are seven or eight.
  const steadySeconds = quick ? 2 : 30;
  const at = new Date().toISOString();
  const loadBefore = loadavg()[0];
  let brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  if (!brokers?.length) {
    ctx.log('starting a Kafka broker (tools/kafka)');
    const broker = await startKafka();
    ctx.onCleanup(() => broker.stop());
    brokers = broker.brokers;
  }
  const kafkaConfig: KafkaConfig = { clientId: 'clientela-bench', brokers, logLevel: logLevel.NOTHING };
  const kafka = new Kafka(kafkaConfig);
  const probe = new Pool({ connectionString: ctx.options.serverUrl, max: 1 });
  const { rows } = await probe.query<{ synchronous_commit: string }>('show synchronous_commit');
  await probe.end();
  const synchronousCommit = rows[0]?.synchronous_commit ?? 'unknown';

  const pipeline = await startPipeline(ctx, kafkaConfig, kafka);
  ctx.onCleanup(() => pipeline.stop());
  // Rounds interleave the contenders, the first of each round turning, so a change in the machine's load
  // falls on both; the median round is the figure.
  const ours: number[] = [];
  const limit: number[] = [];
  const oursCpu: number[] = [];
  const limitCpu: number[] = [];
  const oursMachineCpu: number[] = [];
  const limitMachineCpu: number[] = [];
  const oursAppendedS: number[] = [];
  const oursPublishedS: number[] = [];
  const oursCommittedS: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const runRaw = async () => {
      ctx.log(`round ${r + 1}/${rounds}: raw kafkajs produce and consume, ${events} messages`);
      const measured = await measure(() => rawProduceConsume(kafka, events), r === 0 ? 'kafka.throughput.limit' : undefined);
      const cpu = cpuPerEvent(measured, events);
      limitCpu.push(cpu.node);
      limitMachineCpu.push(cpu.machine);
      limit.push(perSecond(events, measured.result));
    };
    const runOurs = async () => {
      ctx.log(`round ${r + 1}/${rounds}: append -> relay -> Kafka -> consumer -> read model, ${events} events`);
      const measured = await oursRound(pipeline, events, perAppend, r === 0 ? 'kafka.throughput' : undefined);
      const cpu = cpuPerEvent(measured, events);
      oursCpu.push(cpu.node);
      oursMachineCpu.push(cpu.machine);
      ours.push(perSecond(events, measured.ms));
      oursAppendedS.push(round(measured.result.appended / 1000, 2));
      oursPublishedS.push(round(measured.result.published / 1000, 2));
      oursCommittedS.push(round(measured.ms / 1000, 2));
    };
    await inTurns(r, runRaw, runOurs);
  }
  const ratios = ours.map((o, i) => ratio(o, limit[i]));
  ctx.emit({
    bench: 'kafka.throughput',
    at,
    ours_per_s: median(ours),
    limit_per_s: median(limit),
    ratio: ratio(median(ours), median(limit)),
    ...roundFields('ours_per_s', ours),
    ...roundFields('limit_per_s', limit),
    ...roundFields('ratio', ratios),
    ours_cpu_us_per_event: median(oursCpu),
    limit_cpu_us_per_event: median(limitCpu),
    // Every core's busy time (this process, PostgreSQL, the broker's JVM): near cores × duration, the pipeline is bound by the CPU.
    ours_machine_cpu_us_per_event: median(oursMachineCpu),
    limit_machine_cpu_us_per_event: median(limitMachineCpu),
    // Where a round of ours went, seconds from its start: every append returned, the relay published the last event, the consumer committed it.
    ...roundFields('ours_appended_s', oursAppendedS),
    ...roundFields('ours_published_s', oursPublishedS),
    ...roundFields('ours_committed_s', oursCommittedS),
    cpus: cpus().length,
    rounds,
    events,
    partitions: PARTITIONS,
    events_per_append: perAppend,
    batch: BATCH,
    synchronous_commit: synchronousCommit,
    loadavg_1m_before: round(loadBefore, 2),
    ours: 'PostgresEventStore.append (8 writers) -> Relay (page = produce batch, acks=-1, idempotent, sent from its producer thread) -> consumer group (one transaction per batch: one multi-row read-model insert + handled ids) -> committed',
    limit: 'kafkajs alone: sendBatch of 500 (acks=-1, idempotent) and one consumer group counting, same broker, same message size',
    cpu: 'this process (appends, relay, consumer; the limit: producer and consumer) in µs per event; PostgreSQL and the broker not counted',
  });

  // The latency's limit (kafka-bare-pipeline.ts) runs its rounds in turns with ours, on the same broker and server.
  const bare = await startBarePipeline(ctx, kafka);
  ctx.onCleanup(() => bare.stop());

  // Steady load, for the latency from append to committed read model, and where it goes; from a disk
  // that has written back what the throughput rounds left (a few hundred MB, otherwise flushed by the
  // kernel in the middle of the first latency rounds, stalling every commit behind it), and from a
  // server whose checkpoint is done: the throughput rounds' WAL (the server's checkpoints here are
  // requested by WAL volume) otherwise starts one that writes and syncs during the latency rounds.
  const checkpointStarted = performance.now();
  const checkpointed = await withClient(ctx.options.serverUrl, (client) => client.query('checkpoint')).then(
    () => round((performance.now() - checkpointStarted) / 1000, 1),
    (error: unknown) => {
      ctx.log(`no CHECKPOINT before the latency rounds (${error instanceof Error ? error.message : String(error)})`);
      return null;
    },
  );
  const settled = await settleDisk();
  const p50: number[] = [];
  const p99: number[] = [];
  const achieved: number[] = [];
  const stageFields: Record<string, LineValue> = {};
  const stageP99: Record<Stage, number[]> = Object.fromEntries(STAGES.map((stage) => [stage, []])) as unknown as Record<Stage, number[]>;
  const stageP50: Record<Stage, number[]> = Object.fromEntries(STAGES.map((stage) => [stage, []])) as unknown as Record<Stage, number[]>;
  // The appends, relay and consumer share this process (as in a service): how long its event loop was
  // held up during a round bounds what any stage's p99 can be.
  const loopP99: number[] = [];
  const loopMax: number[] = [];
  const latencyCpu: number[] = [];
  // Garbage collection's pauses in this process during each round (see watchGcPauses).
  const gcFields = { minor_count: [] as number[], minor_ms: [] as number[], minor_max_ms: [] as number[], major_ms: [] as number[], major_max_ms: [] as number[] };
  const limitP50: number[] = [];
  const limitP99: number[] = [];
  // The disk's flush time during each round (median and slowest sample), when the server's disk is this machine's:
  // a round whose tail grew with the disk's is the machine's, one whose tail grew alone is the pipeline's.
  const flushProbe = isLocalServer(ctx.options.serverUrl) ? FsyncProbe.start() : undefined;
  if (flushProbe) ctx.onCleanup(() => flushProbe.stop());
  const flush = { ours: [] as (number | null)[], oursMax: [] as (number | null)[], limit: [] as (number | null)[], limitMax: [] as (number | null)[] };
  const sampleFlush = (from: number, median: (number | null)[], max: (number | null)[]) => {
    const sampled = flushProbe?.between(from, epochMs());
    median.push(sampled?.medianUs ?? null);
    max.push(sampled?.maxUs ?? null);
  };
  let counted = 0;
  const runOursSteady = async (r: number) => {
    ctx.log(`round ${r + 1}/${rounds}: steady 1,000 events/s for ${steadySeconds} s (+1 s warm-up), append -> read model`);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    const gcWatch = watchGcPauses();
    loop.enable();
    const from = epochMs();
    const measured = await measure(() => steadyRound(pipeline, steadySeconds), r === 0 ? 'kafka.latency' : undefined);
    sampleFlush(from, flush.ours, flush.oursMax);
    const { stages, achieved: rate, offered } = measured.result;
    latencyCpu.push(round((measured.cpuS * 1e6) / offered, 1));
    loop.disable();
    const gc = gcWatch.stop();
    gcFields.minor_count.push(gc.minorCount);
    gcFields.minor_ms.push(round(gc.minor, 1));
    gcFields.minor_max_ms.push(round(gc.minorMax, 1));
    gcFields.major_ms.push(round(gc.major, 1));
    gcFields.major_max_ms.push(round(gc.majorMax, 1));
    loopP99.push(round(loop.percentile(99) / 1e6, 2));
    loopMax.push(round(loop.max / 1e6, 2));
    p50.push(stages.committed.quantile(0.5));
    p99.push(stages.committed.quantile(0.99));
    achieved.push(rate);
    counted += stages.committed.size;
    for (const stage of STAGES) {
      stageP50[stage].push(stages[stage].quantile(0.5));
      stageP99[stage].push(stages[stage].quantile(0.99));
    }
  };
  const runBareSteady = async (r: number) => {
    ctx.log(`round ${r + 1}/${rounds}: steady 1,000 events/s for ${steadySeconds} s (+1 s warm-up), the bare pipeline`);
    const from = epochMs();
    const latencies = await bareSteadyRound(bare, steadySeconds);
    sampleFlush(from, flush.limit, flush.limitMax);
    limitP50.push(latencies.quantile(0.5));
    limitP99.push(latencies.quantile(0.99));
  };
  for (let r = 0; r < rounds; r++) await inTurns(r, () => runOursSteady(r), () => runBareSteady(r));
  for (const stage of STAGES) {
    stageFields[`${stage}_p50_ms`] = median(stageP50[stage]);
    Object.assign(stageFields, roundFields(`${stage}_p99_ms`, stageP99[stage]));
  }
  ctx.emit({
    bench: 'kafka.latency',
    at,
    rate_per_s: 1000,
    achieved_per_s: median(achieved),
    ...roundFields('p50_ms', p50),
    ...roundFields('p99_ms', p99),
    ...roundFields('limit_p50_ms', limitP50),
    ...roundFields('limit_p99_ms', limitP99),
    // Ours' p99 over the limit's, each round's pair and the medians': how much of the tail is ours, not the machine's.
    p99_ratio: ratio(median(p99), median(limitP99)),
    p99_ratio_rounds: p99.map((value, i) => ratio(value, limitP99[i] ?? 0)).join(','),
    ...stageFields,
    ...flushFields('disk_flush', flush.ours, flush.oursMax),
    ...flushFields('limit_disk_flush', flush.limit, flush.limitMax),
    ...roundFields('event_loop_delay_p99_ms', loopP99),
    ...roundFields('event_loop_delay_max_ms', loopMax),
    ...roundFields('cpu_us_per_event', latencyCpu),
    ...roundFields('gc_minor_count', gcFields.minor_count),
    ...roundFields('gc_minor_ms', gcFields.minor_ms),
    ...roundFields('gc_minor_max_ms', gcFields.minor_max_ms),
    ...roundFields('gc_major_ms', gcFields.major_ms),
    ...roundFields('gc_major_max_ms', gcFields.major_max_ms),
    rounds,
    seconds_per_round: steadySeconds,
    events: counted,
    synchronous_commit: synchronousCommit,
    loadavg_1m_before: round(loadBefore, 2),
    unwritten_mb_before_sync: settled.unwrittenMb,
    sync_s: settled.syncS,
    checkpoint_s: checkpointed,
    limit:
      'the bare pipeline, rounds in turns with ours: each tick inserts its 10 events into a plain table in one statement, kafkajs sends them (acks=-1, idempotent, from this thread), a consumer group parses the JSON and writes each batch to the read model in one transaction; latency from just before the insert to that commit',
    measured:
      'from just before append to just after the consumer transaction that wrote the read model committed; <stage>_p50/p99_ms: from just before append to the append returning, the relay reading its page, the produce acknowledged, the consumer decoding it, the commit (each the median of the rounds), after `sync` wrote back what the throughput rounds left (unwritten_mb_before_sync, sync_s); event_loop_delay_*: how long the event loop of this process was held up (perf_hooks, 5 ms resolution) during each round',
  });
};

/** `<name>_us_rounds` and `<name>_max_us_rounds` (each round's median and slowest flush of 8 KiB, FsyncProbe), when sampled. */
const flushFields = (name: string, medians: readonly (number | null)[], maxes: readonly (number | null)[]): Record<string, LineValue> =>
  medians.every((us) => us === null) ? {} : { [`${name}_us_rounds`]: medians.join(','), [`${name}_max_us_rounds`]: maxes.join(',') };

registerBench({
  name: 'kafka',
  description:
    'events/s from append through relay and consumer group to read model, beside raw kafkajs produce-and-consume on the same broker; p50/p99 latency at a steady 1,000 events/s beside a bare pipeline (insert, kafkajs, read-model commit)',
  run: runKafkaBench,
});
