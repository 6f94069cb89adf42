import type { Position } from '@clientela/contracts';
import type { EventStore } from '../port/event-store';

/**
 * readAll and subscriptions only see what is below every running writer's transaction
 * (PostgreSQL) or what the server has indexed (EventStoreDB): wait for that, not a fixed time.
 */
export const waitUntilReadable = async (
  store: Pick<EventStore, 'headPosition'>,
  position: Position,
  timeoutMs = 10_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while ((await store.headPosition()) < position) {
    if (Date.now() > deadline) throw new Error(`position ${position} not readable after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
