import { performance } from 'node:perf_hooks';
import { streamId, type Position } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { Latencies } from '../measure';
import type { Checkpoint } from './listener';
import { liveOrder } from './orders';

export interface SteadyRate {
  seconds: number;
  /** Appends start every tickMs... */
  tickMs: number;
  /** ...this many at once, each of one event into a new `order-` stream: eventsPerTick * 1000 / tickMs events/s. */
  eventsPerTick: number;
  /** Events whose append started in the first warmupMs are appended but not counted. */
  warmupMs: number;
}

export interface AppendedEvent {
  /** performance.now() when the append call started... */
  start: number;
  /** ...and when it returned. */
  end: number;
  position: Position;
}

export interface SteadyRun {
  /** The counted events (after the warm-up), in the order their appends started. */
  events: AppendedEvent[];
  /** Counted events per second, from the first counted append's start to the last one's end. */
  appendPerSecond: number;
  /** Latencies of the counted append calls. */
  appendLatencies: Latencies;
  /** Every event appended (warm-up included): the read model must hold them all. */
  appended: number;
  items: number;
  cents: number;
  /** The highest position appended. */
  head: Position;
  /** How late the ticks were, at worst (timer and event-loop delay of this process). */
  maxTickLateMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Appends at a fixed schedule, open loop: every `tickMs` it starts `eventsPerTick` appends of one
 * `OrderPlaced` each (a new order stream each, customers drawn at random), without waiting for
 * the appends of earlier ticks. A late tick is caught up at once, so the rate holds on average.
 */
export const appendAtSteadyRate = async (
  store: EventStore,
  rate: SteadyRate,
  customer: () => string,
  random: () => number,
): Promise<SteadyRun> => {
  const ticks = Math.round((rate.seconds * 1000) / rate.tickMs);
  const all: Array<AppendedEvent & { counted: boolean }> = [];
  const pending: Promise<void>[] = [];
  let failure: unknown;
  let items = 0;
  let cents = 0;
  let maxTickLateMs = 0;
  const started = performance.now();
  for (let tick = 0; tick < ticks && failure === undefined; tick++) {
    const due = started + tick * rate.tickMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    maxTickLateMs = Math.max(maxTickLateMs, performance.now() - due);
    for (let i = 0; i < rate.eventsPerTick; i++) {
      const event = liveOrder(customer(), random);
      items += event.data.items;
      cents += Math.round(event.data.amount * 100);
      const record = { start: performance.now(), end: 0, position: 0n, counted: due - started >= rate.warmupMs };
      all.push(record);
      pending.push(
        store.append(streamId('order'), [event], { expectedRevision: 'no_stream' }).then(
          (result) => {
            record.end = performance.now();
            record.position = result.position;
          },
          (error: unknown) => {
            failure ??= error;
          },
        ),
      );
    }
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
  const events = all.filter((e) => e.counted).map(({ start, end, position }) => ({ start, end, position }));
  const appendLatencies = new Latencies();
  for (const e of events) appendLatencies.add(e.end - e.start);
  const first = Math.min(...events.map((e) => e.start));
  const last = Math.max(...events.map((e) => e.end));
  const head = all.reduce((max, e) => (e.position > max ? e.position : max), 0n);
  return {
    events,
    appendPerSecond: last > first ? Math.round((events.length * 1000 * 10) / (last - first)) / 10 : 0,
    appendLatencies,
    appended: all.length,
    items,
    cents,
    head,
    maxTickLateMs: Math.round(maxTickLateMs * 100) / 100,
  };
};

export interface Lags {
  latencies: Latencies;
  /** Events no notification was found for (should be 0). */
  unmatched: number;
}

/**
 * For each event: from the start of its append to the arrival of the first checkpoint at or
 * past its position (checkpoints only pass an event once it is in the read model).
 */
export const checkpointLags = (events: readonly AppendedEvent[], checkpoints: readonly Checkpoint[]): Lags => {
  // Checkpoints arrive in commit order and only move forward; the running maximum guards anyway.
  const reached: bigint[] = [];
  let max = -1n;
  for (const c of checkpoints) {
    if (c.position > max) max = c.position;
    reached.push(max);
  }
  const latencies = new Latencies();
  let unmatched = 0;
  for (const event of events) {
    const i = firstIndex(reached.length, (k) => reached[k] >= event.position);
    if (i < 0) unmatched++;
    else latencies.add(checkpoints[i].at - event.start);
  }
  return { latencies, unmatched };
};

/**
 * For each event: from the start of its append to the arrival of the first store notification
 * after the append returned (the store notifies after each append, coalescing those that come
 * while a notification is in flight). A subscriber woken by it and reading at once finds the
 * event: the floor of any subscriber in another process.
 */
export const notificationLags = (events: readonly AppendedEvent[], arrivals: readonly number[]): Lags => {
  const latencies = new Latencies();
  let unmatched = 0;
  for (const event of events) {
    const i = firstIndex(arrivals.length, (k) => arrivals[k] >= event.end);
    if (i < 0) unmatched++;
    else latencies.add(arrivals[i] - event.start);
  }
  return { latencies, unmatched };
};

/** The first index in [0, length) where the monotone predicate holds, or -1. */
const firstIndex = (length: number, holds: (index: number) => boolean): number => {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo < length ? lo : -1;
};
