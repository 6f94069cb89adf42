import type { PoolClient } from 'pg';
import type { Position, RecordedEvent } from '@clientela/contracts';
import { createTablesSql } from '../projection';
import type { PartitionOffsets } from '../kafka-source';
import { LostLeadershipError, type CommitAnnouncement, type ProjectionStatusName, type RunnerState } from './runner-state';

/** The live copy's row in the registry, as a runner finds it when it becomes active. */
export interface LiveCopyState {
  version: number;
  /** False until a copy that follows Kafka has had its first build from the store swapped in. */
  built: boolean;
  /** From Kafka: the topics' end offsets read before the build that was swapped in. */
  kafkaOffsets: PartitionOffsets | null;
}

/**
 * Creates the live copy if there is none, and clears what an interrupted rebuild or swap left: no
 * rebuild runs now, since only the active runner rebuilds.
 */
export const ensureLiveCopy = (state: RunnerState): Promise<LiveCopyState> =>
  state.transaction(async (client) => {
    const { rows } = await client.query<{ version: number; built: boolean; kafka_offsets: PartitionOffsets | null }>(
      `select version, built, kafka_offsets from ${state.registry}.state where name = $1 for update`,
      [state.name],
    );
    await client.query(`drop schema if exists ${state.schema}__rebuild cascade`);
    await client.query(`drop schema if exists ${state.schema}__old cascade`);
    if (rows[0]) {
      await client.query(
        `update ${state.registry}.state
            set owner = $2, status = 'starting', rebuild_version = null, rebuild_position = null, rebuild_head = null,
                rebuild_events = null, rebuild_started_at = null, filter = $3, updated_at = now()
          where name = $1`,
        [state.name, state.instance, JSON.stringify(state.filter)],
      );
      return { version: rows[0].version, built: rows[0].built, kafkaOffsets: rows[0].kafka_offsets };
    }
    await client.query(`drop schema if exists ${state.schema} cascade`);
    await client.query(`create schema ${state.schema}`);
    await client.query(`set local search_path to ${state.schema}`);
    await client.query(createTablesSql(state.projection));
    // A copy that follows the store builds itself from position 0; one that follows Kafka is empty
    // until its first build from the store is swapped in.
    const built = state.followsStore;
    await client.query(
      `insert into ${state.registry}.state (name, version, position, status, owner, built, filter) values ($1, $2, 0, 'starting', $3, $4, $5)`,
      [state.name, state.projection.version, state.instance, built, JSON.stringify(state.filter)],
    );
    return { version: state.projection.version, built, kafkaOffsets: null };
  });

export const readCheckpoint = async (state: RunnerState): Promise<Position> => {
  const { rows } = await state.pool.query<{ position: string }>(`select position::text from ${state.registry}.state where name = $1`, [state.name]);
  return BigInt(rows[0]?.position ?? '0');
};

/** The end offsets read before the live copy's build (a rebuild while live keeps them: its copy holds those messages too). */
export const readKafkaOffsets = async (state: RunnerState): Promise<PartitionOffsets> => {
  const { rows } = await state.pool.query<{ kafka_offsets: PartitionOffsets | null }>(
    `select kafka_offsets from ${state.registry}.state where name = $1`,
    [state.name],
  );
  return rows[0]?.kafka_offsets ?? {};
};

export const rebuildRequested = async (state: RunnerState): Promise<boolean> => {
  const { rows } = await state.pool.query<{ requested: boolean }>(
    `select rebuild_requested_at is not null as requested from ${state.registry}.state where name = $1`,
    [state.name],
  );
  return rows[0]?.requested ?? false;
};

/** Said when the live loop starts, not only when a page applies: after a swap with nothing new the registry would stay 'starting'. */
export const markLive = async (state: RunnerState): Promise<void> => {
  await state.pool.query(`update ${state.registry}.state set status = 'live', updated_at = now() where name = $1 and owner = $2 and status = 'starting'`, [
    state.name,
    state.instance,
  ]);
};

export const markStopped = async (state: RunnerState): Promise<void> => {
  await state.pool
    .query(`update ${state.registry}.state set status = 'stopped', owner = null, updated_at = now() where name = $1 and owner = $2`, [
      state.name,
      state.instance,
    ])
    .catch(() => undefined);
};

/**
 * Moves the checkpoint from `from` to `to` in `client`'s transaction, fenced: another runner that
 * has written the checkpoint since makes it a LostLeadershipError. With `searchPath`, the same
 * statement sets the transaction's search_path to that copy's schema: one round trip a batch fewer.
 */
export const advanceCheckpoint = async (
  state: RunnerState,
  client: PoolClient,
  commit: CommitAnnouncement,
  from: Position,
  to: Position,
  applied: number,
  searchPath?: string,
): Promise<void> => {
  const params: unknown[] = [state.name, from.toString(), to.toString(), applied, state.instance, state.rate.perSecond];
  if (searchPath !== undefined) params.push(searchPath);
  const { rows } = await client.query<{ moved: number }>(
    `with moved as (
       update ${state.registry}.state
          set position = $3, events_applied = events_applied + $4, status = 'live', owner = $5,
              events_per_second = $6, updated_at = now()
        where name = $1 and position = $2
       returning 1)
     select count(*)::int as moved${searchPath === undefined ? '' : `, set_config('search_path', $7, true)`} from moved`,
    params,
  );
  if (rows[0]?.moved !== 1) throw new LostLeadershipError(`checkpoint of ${state.name} moved under this runner`);
  commit.checkpoint = to;
};

export const recordError = async (state: RunnerState, error: unknown, event?: RecordedEvent): Promise<void> => {
  const message = `${error instanceof Error ? error.message : String(error)}${event ? ` (event ${event.id}, ${event.type})` : ''}`;
  await state.pool
    .query(`update ${state.registry}.state set last_error = $2, last_error_at = now(), status = $3, updated_at = now() where name = $1`, [
      state.name,
      message,
      state.status === 'stopped' ? 'stopped' : 'failed',
    ])
    .catch(() => undefined);
};

/** A failed rebuild: its error in the status, no rebuild in progress, the live copy's status as given. */
export const recordRebuildFailure = async (state: RunnerState, status: ProjectionStatusName, error: unknown): Promise<void> => {
  await state.pool
    .query(
      `update ${state.registry}.state
          set last_error = $3, last_error_at = now(), status = $4, rebuild_version = null, rebuild_position = null,
              rebuild_head = null, rebuild_events = null, rebuild_started_at = null, updated_at = now()
        where name = $1 and owner = $2`,
      [state.name, state.instance, `rebuild failed: ${error instanceof Error ? error.message : String(error)}`, status],
    )
    .catch((recordError: unknown) => state.logger.warn('could not record a failed rebuild', { projection: state.name, error: String(recordError) }));
};
