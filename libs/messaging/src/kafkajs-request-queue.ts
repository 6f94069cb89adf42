import { createRequire } from 'node:module';

/** The kafkajs release this fix was written against (its last; the bug is open upstream). */
const KAFKAJS_VERSION_FIXED = '2.2.4';

/** As kafkajs: how soon a queue with pending requests and no throttle to wait out looks again. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The parts of kafkajs's RequestQueue (src/network/requestQueue) that the fix reads and writes. */
export interface KafkajsRequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}

export interface KafkajsRequestQueueClass {
  new (options: { maxInFlightRequests?: number; requestTimeout: number; enforceRequestTimeout: boolean; clientId: string; broker: string; logger: unknown }): KafkajsRequestQueue;
  prototype: KafkajsRequestQueue;
}

const load = createRequire(__filename);

/** kafkajs's RequestQueue class, from the copy this process loads. */
export const kafkajsRequestQueueClass = (): KafkajsRequestQueueClass => load('kafkajs/src/network/requestQueue') as KafkajsRequestQueueClass;

let fixed = false;

/**
 * kafkajs 2.2.4 keeps a 1 ms timer loop going in every broker connection's request queue while
 * nothing is pending: each completed request schedules a check at `throttledUntil - now` (negative,
 * so 1 ms), and each check schedules the next (tulios/kafkajs#1556 and #1704; fixes #1667 and #1768
 * were never released). An idle consumer, producer and admin made 3,600 timers a second and spent
 * 1.3 % of a core on them; in a busy process the loop wakes it between every piece of work. The
 * check is needed only while requests wait: for the throttle's end, or (as kafkajs) 10 ms later when
 * the in-flight limit holds them (a completed request also checks); a request pushed to an idle
 * queue is sent at once or waits and schedules its own check. Applied once per process, to the
 * class, so to every client made before or after. Returns whether the fix is in place: false only
 * for a kafkajs other than the one it was written for (its spec then fails: look at the new release).
 */
export const quietIdleRequestQueues = (): boolean => {
  if (fixed) return true;
  const version = (load('kafkajs/package.json') as { version: string }).version;
  if (version !== KAFKAJS_VERSION_FIXED) return false;
  const { prototype } = kafkajsRequestQueueClass();
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: KafkajsRequestQueue): void {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    const delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  fixed = true;
  return true;
};
