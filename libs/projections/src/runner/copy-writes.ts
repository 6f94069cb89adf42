import type { PoolClient } from 'pg';
import type { Position, RecordedEvent } from '@clientela/contracts';
import { createIndexesSql, unloggedTables } from '../projection';
import { writeProjectionEvents, type PlannedWrites } from '../sql-writer';
import { advanceCheckpoint } from './registry-row';
import type { RunnerState } from './runner-state';

/** The projection's changes for these events, written into the copy in `schema` (`planned`: for exactly these events). */
export const writeEvents = (state: RunnerState, client: PoolClient, schema: string, events: readonly RecordedEvent[], planned?: PlannedWrites): Promise<void> =>
  writeProjectionEvents(client, state.projection, schema, events, planned);

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
    await advanceCheckpoint(state, client, commit, from, to, events.length);
    await writeEvents(state, client, schema, events, planned);
  });

/**
 * Makes a copy built unlogged durable (one write of each table to the WAL, instead of one per
 * upsert), then creates its secondary indexes (if missing) and refreshes its statistics. Tables
 * first, so that the indexes are not rewritten with them.
 */
export const finishCopy = async (state: RunnerState, schema: string): Promise<void> => {
  const indexes = createIndexesSql(state.projection);
  const unlogged = await unloggedTables(state.pool, schema);
  if (indexes || unlogged.length > 0) {
    await state.transaction(async (client) => {
      await client.query(`set local search_path to ${schema}`);
      for (const table of unlogged) await client.query(`alter table ${table} set logged`);
      if (indexes) await client.query(indexes);
      if (unlogged.length > 0 && schema === state.schema) {
        await client.query(`update ${state.registry}.state set unlogged_build_server_start = null where name = $1`, [state.name]);
      }
    });
  }
  // Not in a transaction: VACUUM cannot run in one. Clears the dead rows a build leaves behind.
  for (const table of Object.keys(state.projection.tables)) await state.pool.query(`vacuum analyze ${schema}.${table}`);
};
