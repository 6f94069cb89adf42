import { formatPosition, type StreamId } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import type { StructuredLogger } from '@clientela/platform';

/** The daily runs: first ten minutes after start, then every hour each publishes the day before, once. */
const FIRST_RUN_MS = 10 * 60_000;
const RUN_EVERY_MS = 60 * 60_000;

/**
 * Runs `publish(yesterday)` once per UTC day (retried the next hour when it fails). The day last run
 * is kept in memory: each replica and each restart runs the day again, which appends nothing new
 * (a day's events have ids derived from it). Returns the stop function.
 */
export const runDaily = (name: string, publish: (day: string) => Promise<object>, logger: Pick<StructuredLogger, 'info' | 'warn'>): (() => void) => {
  let lastRun: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    if (lastRun === yesterday) return;
    publish(yesterday).then(
      (run) => {
        lastRun = yesterday;
        logger.info(`${name} published`, { ...run });
      },
      (error: unknown) => logger.warn(`${name} not published; next hour again`, { asOf: yesterday, error: String(error) }),
    );
  };
  timer = setTimeout(() => {
    tick();
    timer = setInterval(tick, RUN_EVERY_MS);
    timer.unref();
  }, FIRST_RUN_MS);
  timer.unref();
  return () => {
    clearTimeout(timer);
    clearInterval(timer);
  };
};

/** Stream appends per appendToStreams call of a daily run. */
export const APPEND_BATCH = 1_000;

/** One customer's events of a day's run: ids derived from the day, so a second run is a duplicate. */
export interface DailyChange {
  streamId: StreamId;
  expectedRevision: number | 'no_stream';
  events: ReadonlyArray<{ id: string; type: string; data: object }>;
}

/**
 * Appends a day's changes in calls of APPEND_BATCH streams, with metadata fixed by the day, so a run
 * of the same day again is a duplicate, not a conflict. Counts the duplicates; the last position.
 */
export const appendDailyChanges = async (
  store: EventStore,
  changes: readonly DailyChange[],
  asOf: string,
): Promise<{ duplicates: number; position?: string }> => {
  let duplicates = 0;
  let position: bigint | undefined;
  for (let i = 0; i < changes.length; i += APPEND_BATCH) {
    const result = await store.appendToStreams(
      changes.slice(i, i + APPEND_BATCH).map((c) => ({
        streamId: c.streamId,
        expectedRevision: c.expectedRevision,
        events: c.events.map((e) => ({
          ...e,
          data: { ...e.data },
          metadata: { source: 'analytics', actor: 'analytics', occurredAt: `${asOf}T00:00:00.000Z`, correlationId: e.id },
        })),
      })),
    );
    duplicates += result.streams.filter((s) => s.duplicate).length;
    position = result.position;
  }
  return { duplicates, ...(position !== undefined ? { position: formatPosition(position) } : {}) };
};
