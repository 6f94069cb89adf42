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
