import { kafkajsRequestQueueClass, quietIdleRequestQueues, type KafkajsRequestQueue } from './kafkajs-request-queue';

const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe("kafkajs's request queue, fixed", () => {
  const queues: KafkajsRequestQueue[] = [];
  const newQueue = (): KafkajsRequestQueue => {
    const RequestQueue = kafkajsRequestQueueClass();
    const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: 'localhost:9092', logger: silentLogger });
    queues.push(queue);
    return queue;
  };
  afterEach(() => {
    for (const queue of queues.splice(0)) queue.destroy();
  });

  it('is in place for the kafkajs this repository pins', () => {
    expect(quietIdleRequestQueues()).toBe(true);
  });

  it('schedules no check while nothing is pending, throttled or not (kafkajs 2.2.4 looped every 1 ms)', () => {
    const queue = newQueue();
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
    queue.throttledUntil = Date.now() + 1_000;
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('checks again when the throttle ends while requests wait, and 10 ms later when none is throttled', async () => {
    const queue = newQueue();
    const checks: number[] = [];
    queue.checkPendingRequests = () => void checks.push(Date.now());
    queue.pending.push({});
    queue.throttledUntil = Date.now() + 60;
    const scheduled = Date.now();
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    queue.scheduleCheckPendingRequests(); // one check at a time
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(checks).toHaveLength(1);
    expect(checks[0] - scheduled).toBeGreaterThanOrEqual(55);
    expect(queue.throttleCheckTimeoutId).toBeNull();

    queue.throttledUntil = -1;
    queue.scheduleCheckPendingRequests();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(checks).toHaveLength(2);
  });
});
