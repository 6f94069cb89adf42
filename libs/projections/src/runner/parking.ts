import type { PoolClient } from 'pg';
import type { Position, RecordedEvent } from '@clientela/contracts';
import { backoffDelay, DEFAULT_BACKOFF, isConnectionError, sleep } from '@clientela/postgres';
import type { PlannedWrites } from '../sql-writer';
import { applyBatch, writeEvents } from './copy-writes';
import { advanceCheckpoint, recordError } from './registry-row';
import { LostLeadershipError, type RunnerState } from './runner-state';

/**
 * Applies a page to the live copy; a batch that keeps failing is searched for its poison event.
 * `planned`: its statements, worked out for exactly `pageEvents` before (used on the first try).
 */
export const applyLive = async (state: RunnerState, pageEvents: RecordedEvent[], to: Position, planned?: PlannedWrites): Promise<void> => {
  // A page fetched before a rebuild swapped in a newer copy is already in that copy.
  if (state.restartLive || to <= state.position) return;
  const from = state.position;
  const events = pageEvents.every((event) => event.position > from) ? pageEvents : pageEvents.filter((event) => event.position > from);
  const attempts = state.options.maxAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await applyBatch(state, state.schema, events, state.position, to, attempt === 1 ? planned : undefined);
      state.position = to;
      state.countApplied(events.length);
      return;
    } catch (error) {
      if (error instanceof LostLeadershipError || isConnectionError(error)) throw error;
      if (attempt < attempts) {
        await sleep(backoffDelay(attempt, { ...DEFAULT_BACKOFF, initialMs: state.options.retryDelayMs ?? 100 }));
        continue;
      }
      if (events.length === 0) throw error;
      await isolatePoison(state, events, to, error);
      return;
    }
  }
};

/** Applies the events one by one, so that only the one that fails is parked (or stops the runner). */
const isolatePoison = async (state: RunnerState, events: RecordedEvent[], to: Position, batchError: unknown): Promise<void> => {
  state.logger.warn('batch keeps failing; applying its events one by one', { projection: state.name, error: String(batchError) });
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const target = i === events.length - 1 ? to : event.position;
    try {
      await applyBatch(state, state.schema, [event], state.position, target);
    } catch (error) {
      if (error instanceof LostLeadershipError || isConnectionError(error)) throw error;
      if ((state.options.onPoisonEvent ?? 'park') === 'stop') {
        state.status = 'stopped';
        state.running = false;
        await recordError(state, error, event);
        throw error;
      }
      await park(state, event, target, error);
    }
    state.position = target;
    state.countApplied(1);
  }
};

const park = (state: RunnerState, event: RecordedEvent, to: Position, error: unknown): Promise<void> =>
  state.transaction(async (client, commit) => {
    await advanceCheckpoint(state, client, commit, state.position, to, 0);
    await recordDeadLetter(state, client, event, error);
  });

const withoutFields = (data: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> =>
  fields.length === 0 ? data : Object.fromEntries(Object.entries(data).filter(([field]) => !fields.includes(field)));

/** Keeps a poison event in `dead_letters` with its reason (once per projection and event). */
const recordDeadLetter = async (state: RunnerState, client: PoolClient, event: RecordedEvent, error: unknown): Promise<void> => {
  const reason = error instanceof Error ? error.message : String(error);
  state.logger.error('parked a poison event', { projection: state.name, eventId: event.id, type: event.type, reason });
  await client.query(
    `insert into ${state.registry}.dead_letters (projection, event_id, event_type, stream_id, position, event, reason, attempts)
     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (projection, event_id) do nothing`,
    [
      state.name,
      event.id,
      event.type,
      event.streamId,
      event.position.toString(),
      JSON.stringify({ ...event, data: withoutFields(event.data, state.options.personalFields?.(event.type) ?? []), position: event.position.toString() }),
      reason,
      (state.options.maxAttempts ?? 3) + 1,
    ],
  );
  state.options.metrics?.deadLetters.inc({ projection: state.name });
};

/**
 * Writes a page into a copy inside the caller's transaction (a rebuild's pages, the swap's catch-up):
 * when the page fails, each event is tried under a savepoint of its own and the ones that fail are
 * parked with their reason, so one unreadable event cannot stop a rebuild for good. Returns how
 * many were written. `copyIsEmpty`: nothing has been written to this copy yet.
 */
export const writeParkingPoison = async (
  state: RunnerState,
  client: PoolClient,
  schema: string,
  events: readonly RecordedEvent[],
  copyIsEmpty = false,
): Promise<number> => {
  if (events.length === 0) return 0;
  await client.query('savepoint page');
  try {
    await writeEvents(state, client, schema, events);
    await client.query('release savepoint page');
    return events.length;
  } catch (error) {
    if (isConnectionError(error)) throw error;
    await client.query('rollback to savepoint page');
    state.logger.warn('page keeps failing in a copy; writing its events one by one', { projection: state.name, schema, error: String(error) });
  }
  const poison: Array<{ event: RecordedEvent; error: unknown }> = [];
  for (const event of events) {
    await client.query('savepoint one');
    try {
      await writeEvents(state, client, schema, [event]);
      await client.query('release savepoint one');
    } catch (error) {
      if (isConnectionError(error)) throw error;
      await client.query('rollback to savepoint one');
      poison.push({ event, error });
    }
  }
  // Every event of a page failing, or of the first pages of a copy, is the projection's fault, not
  // the events': the rebuild fails (and says why in the status) rather than swap in a copy with its history parked.
  if (poison.length === events.length && (events.length > 1 || copyIsEmpty)) throw poison[0].error;
  for (const { event, error } of poison) await recordDeadLetter(state, client, event, error);
  await client.query('release savepoint page');
  return events.length - poison.length;
};
