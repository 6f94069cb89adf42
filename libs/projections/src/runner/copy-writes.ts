import type { PoolClient } from 'pg';
import type { Position, RecordedEvent } from '@clientela/contracts';
import { createIndexesSql } from '../projection';
import { writeProjectionEvents, type PlannedWrites } from '../sql-writer';
import { advanceCheckpoint } from './registry-row';
import type { RunnerState } from './runner-state';

/** The projection's changes for these events, written into the copy in `schema` (`planned`: for exactly these events). */
export const writeEvents = (
  state: RunnerState,
  client: PoolClient,
  schema: string,
  events: readonly RecordedEvent[],
  planned?: PlannedWrites,
  searchPathSet = false,
): Promise<void> => writeProjectionEvents(client, state.projection, schema, events, planned, searchPathSet);

/** One transaction: the checkpoint moves from `from` to `to` and the events' changes are written. */
export const applyBatch = (
  state: RunnerState,
  schema: string,
  events: readonly RecordedEvent[],
  from: Position,
  to: Position,
  planned?: PlannedWrites,
): Promise<void> =>
  state.transaction(async (client, commit) => {
    await advanceCheckpoint(state, client, commit, from, to, events.length, events.length > 0 ? schema : undefined);
    await writeEvents(state, client, schema, events, planned, true);
  });

/** Creates the copy's secondary indexes (if missing) and refreshes its statistics. */
export const finishCopy = async (state: RunnerState, schema: string): Promise<void> => {
  const indexes = createIndexesSql(state.projection);
  if (indexes) {
    await state.transaction(async (client) => {
      await client.query(`set local search_path to ${schema}`);
      await client.query(indexes);
    });
  }
  // Not in a transaction: VACUUM cannot run in one. Clears the dead rows a build leaves behind.
  for (const table of Object.keys(state.projection.tables)) await state.pool.query(`vacuum analyze ${schema}.${table}`);
};
