import type { StructuredLogger } from '../logging/logger';

/** Printed on stdout once a process serves, whatever LOG_LEVEL says: `npm start`, tests and the bench wait for it. */
export const READY_MARKER = 'clientela service ready';

export interface RunningProcess {
  /** Where it serves, for the ready line. */
  url: string;
  /** Graceful: stop taking work, finish what is under way, close pools. */
  close(): Promise<void>;
  details?: Record<string, unknown>;
}

/**
 * The life of every Clientela process (each service, the gateway): start, print the ready line, and on
 * SIGINT/SIGTERM close gracefully and exit 0; a start that fails logs why and exits 1.
 */
export const runUntilStopped = async (name: string, logger: StructuredLogger, start: () => Promise<RunningProcess>): Promise<void> => {
  let running: RunningProcess | undefined;
  let stopRequested: string | undefined;
  const stop = (signal: string) => {
    if (stopRequested) return;
    stopRequested = signal;
    if (!running) return; // still starting: stopped once the start returns
    logger.info('stopping', { signal });
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stopped with an error', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  try {
    running = await start();
  } catch (error) {
    logger.error('could not start', { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  if (stopRequested) {
    const signal = stopRequested;
    stopRequested = undefined;
    return stop(signal);
  }
  process.stdout.write(`${JSON.stringify({ msg: READY_MARKER, service: name, url: running.url, ...running.details })}\n`);
};
