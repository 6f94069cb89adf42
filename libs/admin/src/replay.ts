import { createHash } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { contextOfStream, DefaultCategoryContexts, formatPosition, parsePosition, START, ValidationError, type Position, type RecordedEvent } from '@clientela/contracts';
import { requireKafka, type AdminConnections } from './connections';
import { filterOf, inTimeRange, type EventRange } from './streams';

export interface ReplayOptions extends EventRange {
  /** Every event to this topic; by default each to its context's topic, as the relay publishes it. */
  toTopic?: string;
  /** Events per second, at most. */
  rate?: number;
  /** Count what would be sent, per topic; send nothing and record nothing. */
  dryRun?: boolean;
  /** Forget where an earlier run of the same arguments got to, and send the range again. */
  restart?: boolean;
  pageSize?: number;
  /** Stops after the page in flight: its messages acknowledged and the replay's position saved. */
  signal?: AbortSignal;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayProgress {
  id: string;
  /** Events of the range to send in this run (after where an earlier run stopped). */
  total: number;
  sent: number;
  skipped: number;
}

export interface ReplayResult extends ReplayProgress {
  dryRun: boolean;
  /** The range's events per topic (dry run), or sent per topic (this run). */
  topics: Record<string, number>;
  /** True when the whole range has been sent (by this run or earlier ones). */
  finished: boolean;
  /** Sent by earlier, interrupted runs of the same arguments. */
  sentBefore: number;
  resumedFrom: string;
  endPosition: string;
}

/** A replay is known by its arguments: the same range, filters and topic resume the same replay. */
export const replayId = (options: ReplayOptions): string => {
  const canonical = {
    fromPosition: options.fromPosition?.toString() ?? null,
    toPosition: options.toPosition?.toString() ?? null,
    since: options.since?.toISOString() ?? null,
    until: options.until?.toISOString() ?? null,
    categories: [...(options.categories ?? [])].sort(),
    types: [...(options.types ?? [])].sort(),
    toTopic: options.toTopic ?? null,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
};

interface ReplayRow {
  position: string;
  end_position: string;
  sent: string;
  finished_at: Date | null;
}

const SCHEMA = 'messaging';

/**
 * Publishes a range of the store again, each event as the relay publishes it (toTopicMessages: same
 * key, headers and value; cut by size as the relay cuts), in order, with an idempotent producer and
 * acks from all in-sync replicas. The end of the range is fixed at the first run (the head then, when
 * no `toPosition`), and where the replay got to is saved after each acknowledged page, so a run
 * interrupted (signal, Ctrl-C) and started again with the same arguments goes on from there and sends
 * nothing twice. A process killed between an acknowledgement and that save sends that page again on
 * resume: consumers dedupe by event id.
 */
export const replay = async (connections: AdminConnections, options: ReplayOptions): Promise<ReplayResult> => {
  if (options.rate !== undefined && !(options.rate > 0)) throw new ValidationError(`--rate must be a positive number of events per second, got ${options.rate}`);
  if (options.fromPosition !== undefined && options.toPosition !== undefined && options.toPosition < options.fromPosition) {
    throw new ValidationError('--to-position is before --from-position');
  }
  const id = replayId(options);
  const topicOfEvent = (event: RecordedEvent): string | undefined => {
    if (options.toTopic) return options.toTopic;
    const context = contextOfStream(event.streamId, DefaultCategoryContexts);
    return context ? connections.topicOf(context) : undefined;
  };
  const kafka = options.dryRun ? undefined : requireKafka(connections, 'replay');
  // Loaded when used (Nest comes with libs/messaging): see tools/cli on the CLI's memory.
  const { migrateMessaging, sleep, splitBySize, toTopicMessages } = await import('@clientela/messaging');
  await migrateMessaging(connections.pool, SCHEMA);

  let row: ReplayRow | undefined;
  if (!options.dryRun) {
    if (options.restart) await connections.pool.query(`delete from ${SCHEMA}.replays where id = $1`, [id]);
    const end = options.toPosition ?? (await connections.store.headPosition());
    await connections.pool.query(
      `insert into ${SCHEMA}.replays (id, arguments, end_position, position) values ($1, $2, $3, $4) on conflict (id) do nothing`,
      [id, JSON.stringify({ ...options, signal: undefined, onProgress: undefined, fromPosition: options.fromPosition?.toString(), toPosition: options.toPosition?.toString() }), formatPosition(end), formatPosition(options.fromPosition ?? START)],
    );
    row = (await connections.pool.query<ReplayRow>(`select position, end_position, sent, finished_at from ${SCHEMA}.replays where id = $1`, [id])).rows[0];
  }
  const endPosition = row ? parsePosition(row.end_position) : (options.toPosition ?? (await connections.store.headPosition()));
  const startPosition = row ? parsePosition(row.position) : (options.fromPosition ?? START);
  const sentBefore = row ? Number(row.sent) : 0;
  const filter = filterOf(options);
  const pageSize = Math.max(1, Math.min(options.pageSize ?? 500, options.rate ? Math.ceil(options.rate) : Infinity));

  /** The range's pages from a position: the events to send, and the position the page got to. */
  // A `--to-position` beyond what is readable now ends the run where the store ends, unfinished: run it again later.
  async function* pages(from: Position): AsyncGenerator<{ events: RecordedEvent[]; position: Position; last: boolean; reachedEnd: boolean }> {
    for (;;) {
      const page = await connections.store.readAll({ fromPosition: from, maxCount: pageSize, filter, raw: true });
      const events = page.events.filter((e) => e.position <= endPosition && inTimeRange(options, e.recordedAt));
      const reachedEnd = page.nextPosition >= endPosition || page.events.some((e) => e.position > endPosition);
      const last = reachedEnd || page.isEnd;
      yield { events, position: reachedEnd ? endPosition : page.nextPosition, last, reachedEnd };
      if (last) return;
      from = page.nextPosition;
    }
  }

  const topics: Record<string, number> = {};
  let total = 0;
  let skipped = 0;
  if (!row?.finished_at) {
    for await (const page of pages(startPosition)) {
      for (const event of page.events) {
        const topic = topicOfEvent(event);
        if (topic) total++;
        else if (options.dryRun) skipped++;
        if (options.dryRun && topic) topics[topic] = (topics[topic] ?? 0) + 1;
      }
    }
  }
  const progress: ReplayProgress = { id, total, sent: 0, skipped: 0 };
  const result = (finished: boolean): ReplayResult => ({
    ...progress,
    skipped,
    dryRun: options.dryRun ?? false,
    topics,
    finished,
    sentBefore,
    resumedFrom: formatPosition(startPosition),
    endPosition: formatPosition(endPosition),
  });
  if (options.dryRun || row?.finished_at) return result(row?.finished_at != null);

  if (options.toTopic) {
    const admin = kafka!.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      if (!existing.has(options.toTopic)) throw new ValidationError(`topic ${options.toTopic} does not exist: create it first (the replay creates no topics)`);
    } finally {
      await admin.disconnect();
    }
  }
  const { durableProducer } = await import('@clientela/messaging');
  const producer: Producer = durableProducer(kafka!, { allowAutoTopicCreation: false });
  await producer.connect();
  const started = Date.now();
  let finished = false;
  try {
    options.onProgress?.(progress);
    for await (const page of pages(startPosition)) {
      const topicMessages = toTopicMessages(page.events, topicOfEvent);
      let count = 0;
      for (const batch of splitBySize(topicMessages, 512 * 1024)) {
        await producer.sendBatch({ topicMessages: batch, acks: -1 });
      }
      for (const { topic, messages } of topicMessages) {
        topics[topic] = (topics[topic] ?? 0) + messages.length;
        count += messages.length;
      }
      skipped += page.events.length - count;
      await connections.pool.query(
        `update ${SCHEMA}.replays set position = $2, sent = sent + $3, updated_at = now(), finished_at = case when $4 then now() end where id = $1`,
        [id, formatPosition(page.position), count, page.reachedEnd],
      );
      progress.sent += count;
      progress.skipped = skipped;
      options.onProgress?.(progress);
      finished = page.reachedEnd;
      if (page.last || options.signal?.aborted) break;
      if (options.rate) {
        const due = started + (progress.sent / options.rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now(), options.signal).catch(() => undefined);
        if (options.signal?.aborted) break;
      }
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return result(finished);
};
