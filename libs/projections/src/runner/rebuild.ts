import type { PoolClient } from 'pg';
import { START, type Position } from '@clientela/contracts';
import { isConnectionError, sleep } from '@clientela/postgres';
import { createTablesSql, isRowProjection } from '../projection';
import { CatchUpWindow } from './catch-up-window';
import { waitForSnapshotsAfter } from '../open-snapshots';
import { finishCopy } from './copy-writes';
import { writeParkingPoison } from './parking';
import { advanceCheckpoint } from './registry-row';
import {
  DEFAULT_CATCH_UP_WINDOW_MS,
  DEFAULT_CATCH_UP_WINDOW_ROWS,
  LostLeadershipError,
  type CommitAnnouncement,
  type ProjectionStatusName,
  type RunnerState,
} from './runner-state';

/** Share of a rebuild done, from its first event to the head it started with; 1 when there is nothing to read. */
export const rebuildProgress = (first: Position, head: Position, position: Position): number =>
  head <= first ? 1 : Math.max(0, Math.min(1, Number(((position - first) * 1000n) / (head - first)) / 1000));

/**
 * Builds a fresh copy in `<schema>__rebuild` from the first event while the live one keeps serving,
 * then swaps it in with the live loop paused. `previous`: the status before the rebuild, restored after.
 */
export const runRebuild = async (state: RunnerState, previous: ProjectionStatusName): Promise<void> => {
  const projection = state.projection;
  const shadow = `${state.schema}__rebuild`;
  const old = `${state.schema}__old`;
  const started = Date.now();
  state.status = 'rebuilding';
  const head = await state.options.store.headPosition();
  // Progress runs from the first event to the head: positions are not dense, and the first one is far from 0.
  const first = (await state.options.store.readAll({ maxCount: 1, filter: state.filter })).events[0]?.position ?? head;
  const progressOf = (position: Position): number => rebuildProgress(first, head, position);
  await state.transaction(async (client) => {
    await client.query(`drop schema if exists ${shadow} cascade`);
    await client.query(`create schema ${shadow}`);
    await client.query(`set local search_path to ${shadow}`);
    await client.query(createTablesSql(projection));
    await client.query(
      `update ${state.registry}.state set status = 'rebuilding', rebuild_version = $2, rebuild_position = 0, rebuild_head = $3,
              rebuild_events = 0, rebuild_started_at = now(), updated_at = now() where name = $1`,
      [state.name, projection.version, head.toString()],
    );
  });
  state.logger.info('rebuild started', { projection: state.name, head: head.toString() });

  let position: Position = START;
  let events = 0;
  /** Events written to the new copy (not parked). */
  let written = 0;
  const recordProgress = (client: PoolClient, to: Position, count: number) =>
    client.query(
      `update ${state.registry}.state set rebuild_position = $2, rebuild_events = rebuild_events + $3, updated_at = now() where name = $1`,
      [state.name, to.toString(), count],
    );
  // Catch up in the shadow copy while the live copy keeps serving (and, same version, keeps
  // following), reading the next page while this one is written. As a first build does, a row
  // projection merges consecutive pages into a window written in one transaction (see CatchUpWindow),
  // in the background while the next window is merged.
  const windowRows = state.options.catchUpWindowRows ?? DEFAULT_CATCH_UP_WINDOW_ROWS;
  const windowMs = state.options.catchUpWindowMs ?? DEFAULT_CATCH_UP_WINDOW_MS;
  const rowProjection = windowRows > 0 && isRowProjection(projection) ? projection : undefined;
  let window: CatchUpWindow | undefined;
  /** The window being written: resolves to it when PostgreSQL refused it. */
  let writing: Promise<CatchUpWindow | undefined> | undefined;
  /** Pages up to here are written one by one: a window over them failed, and its poison event is searched for. */
  let unwindowedUntil: Position = START;
  let next = state.readPage(position);
  const readFrom = (from: Position) => {
    next = state.readPage(from);
    next.catch(() => undefined); // seen when awaited
  };
  const writeWindow = async (full: CatchUpWindow): Promise<CatchUpWindow | undefined> => {
    try {
      await state.transaction(async (client) => {
        await client.query(`set local search_path to ${shadow}`);
        await full.write(client);
        await recordProgress(client, full.to, full.events);
      });
    } catch (error) {
      if (isConnectionError(error)) throw error;
      state.logger.warn('a rebuild window failed; writing its pages one by one', { projection: state.name, error: String(error) });
      return full;
    }
    written += full.events;
    events += full.events;
    state.options.metrics?.rebuildProgress.set({ projection: state.name }, progressOf(full.to));
    return undefined;
  };
  /** Waits for the window being written. False when it failed: reading starts again from its start, with what was merged since dropped. */
  const settle = async (): Promise<boolean> => {
    const failed = await writing;
    writing = undefined;
    if (!failed) return true;
    window = undefined;
    unwindowedUntil = failed.to;
    position = failed.from;
    readFrom(position);
    return false;
  };
  /** Starts writing the window merged so far, once the one before it is written. */
  const flush = async (): Promise<boolean> => {
    const full = window;
    window = undefined;
    if (!(await settle())) return false;
    if (full && !full.isEmpty) (writing = writeWindow(full)).catch(() => undefined); // seen in settle
    return true;
  };
  try {
    for (;;) {
      if (!state.running || !state.active) throw new LostLeadershipError('stopped during rebuild');
      const page = await next;
      if (!page.isEnd) readFrom(page.nextPosition);
      if (rowProjection && page.nextPosition > unwindowedUntil) {
        window ??= new CatchUpWindow(rowProjection, position);
        if (window.add(page.events, page.nextPosition)) {
          position = page.nextPosition;
          if (page.isEnd || window.rows >= windowRows || Date.now() - window.openedAt >= windowMs) {
            if (!(await flush())) continue;
          }
          if (page.isEnd) {
            if (!(await settle())) continue;
            break;
          }
          continue;
        }
      }
      // One page in its own transaction: the projection threw on one of its events, or a window over it failed.
      if (!(await flush()) || !(await settle())) continue;
      await state.transaction(async (client) => {
        written += await writeParkingPoison(state, client, shadow, page.events, written === 0);
        await recordProgress(client, page.nextPosition, page.events.length);
      });
      events += page.events.length;
      position = page.nextPosition;
      state.options.metrics?.rebuildProgress.set({ projection: state.name }, progressOf(position));
      if (page.isEnd) break;
    }
  } finally {
    await writing?.catch(() => undefined);
  }

  await finishCopy(state, shadow);

  /** Reads the store from `position` to its end into the new copy, in `client`'s transaction. */
  const catchUpShadow = async (client: PoolClient): Promise<void> => {
    for (;;) {
      const page = await state.readPage(position);
      written += await writeParkingPoison(state, client, shadow, page.events, written === 0);
      events += page.events.length;
      position = page.nextPosition;
      if (page.isEnd) break;
    }
  };
  // Swap, with the live loop from the store paused: apply what came meanwhile and commit; wait until every open
  // snapshot sees that commit (the old and new copies now hold the same events, so a snapshot
  // reads the same totals from either); then rename in a transaction of its own.
  await state.mutex.run(async () => {
    let liveCaughtUp = false;
    const caughtUp = await state.transaction(async (client, commit) => {
      const { rows } = await client.query<{ version: number; position: string }>(
        `select version, position::text from ${state.registry}.state where name = $1 for update`,
        [state.name],
      );
      await catchUpShadow(client);
      await client.query(`update ${state.registry}.state set rebuild_position = $2, updated_at = now() where name = $1`, [
        state.name,
        position.toString(),
      ]);
      // A live copy of the same version that follows the store is brought to the same position.
      const live = BigInt(rows[0].position);
      if (state.followsStore && rows[0].version === projection.version && live < position) {
        await catchUpLiveCopy(state, client, commit, live, position);
        liveCaughtUp = true;
      }
      return (await client.query<{ xid: string }>('select pg_current_xact_id()::text as xid')).rows[0].xid;
    });
    if (liveCaughtUp) state.position = position;
    const client = await state.pool.connect();
    try {
      if (!(await waitForSnapshotsAfter(client, caughtUp, state.options.swapSnapshotWaitMs ?? 5_000))) {
        state.logger.warn('swapping while a transaction older than the rebuilt copy is open: a REPEATABLE READ reader in it may see part of the copy', {
          projection: state.name,
        });
      }
    } finally {
      client.release();
    }
    await state.transaction(async (client, commit) => {
      await client.query(`select 1 from ${state.registry}.state where name = $1 for update`, [state.name]);
      // A live copy that follows Kafka is not paused by the mutex: while this swap waited for old
      // snapshots, its batches kept applying events above `position` to the old copy and committing
      // their offsets. The row lock now holds them off, and every event they applied was already
      // readable in the store (the relay publishes only what it read there): read it into the new copy too.
      if (!state.followsStore) await catchUpShadow(client);
      if (!(await lockTablesOf(client, state.schema, state.options.swapLockWaitMs ?? 5_000))) {
        state.logger.warn('swapping while a statement that opened the live copy runs: it may read the old copy under a snapshot that sees the new one', {
          projection: state.name,
        });
      }
      // A crash between an earlier swap's commit and its drop leaves an old copy behind.
      await client.query(`drop schema if exists ${old} cascade`);
      await client.query(`alter schema ${state.schema} rename to ${old}`);
      await client.query(`alter schema ${shadow} rename to ${state.schema}`);
      await client.query(
        `update ${state.registry}.state
            set version = $2, position = $3, swap_position = $3, built = true, generation = generation + 1, status = 'live', rebuild_version = null, rebuild_position = null,
                rebuild_head = null, rebuild_events = null, rebuild_started_at = null, rebuild_requested_at = null,
                kafka_offsets = coalesce($4::jsonb, kafka_offsets), updated_at = now()
          where name = $1`,
        [state.name, projection.version, position.toString(), state.kafkaOffsetsOfBuild ? JSON.stringify(state.kafkaOffsetsOfBuild) : null],
      );
      state.kafkaOffsetsOfBuild = undefined;
      commit.checkpoint = position;
    });
    state.position = position;
    state.restartLive = true;
    await state.subscription?.close();
  });
  await state.pool.query(`drop schema if exists ${old} cascade`);
  state.options.metrics?.rebuildProgress.set({ projection: state.name }, 1);
  state.status = previous === 'rebuilding' ? 'live' : previous === 'starting' ? 'starting' : 'live';
  state.logger.info('rebuild swapped in', { projection: state.name, events, seconds: (Date.now() - started) / 1000 });
};

/**
 * Takes every table of `schema` in ACCESS EXCLUSIVE mode for the rest of `client`'s transaction,
 * waiting at most `timeoutMs`; false when it could not. A statement locks (and resolves) its
 * tables before it takes its snapshot, and renaming a schema locks none of them: without this, a
 * statement that opened the live copy's tables just before the rename commits would read the old
 * copy under a snapshot that sees the new position. Each try waits in the lock queue (so the
 * readers that come after it queue behind, and the ones before it drain) for less than
 * deadlock_timeout: a reader that holds one table and waits for another gets it back before
 * PostgreSQL would call it a deadlock.
 */
const lockTablesOf = async (client: PoolClient, schema: string, timeoutMs: number): Promise<boolean> => {
  const { rows } = await client.query<{ name: string }>(
    `select format('%I.%I', schemaname, tablename) as name from pg_tables where schemaname = $1 order by tablename`,
    [schema],
  );
  if (rows.length === 0) return true;
  const { rows: setting } = await client.query<{ lock_timeout: string }>(`select current_setting('lock_timeout') as lock_timeout`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await client.query('savepoint swap_lock');
    try {
      await client.query(`set local lock_timeout = '100ms'`);
      await client.query(`lock table ${rows.map((row) => row.name).join(', ')} in access exclusive mode`);
      await client.query('release savepoint swap_lock');
      await client.query(`select set_config('lock_timeout', $1, true)`, [setting[0].lock_timeout]);
      return true;
    } catch (error) {
      // 55P03: lock_timeout; 40P01: a deadlock PostgreSQL found anyway.
      const code = (error as { code?: string }).code;
      if (code !== '55P03' && code !== '40P01') throw error;
      await client.query('rollback to savepoint swap_lock'); // also restores lock_timeout
    }
    if (Date.now() >= deadline) return false;
    await sleep(20); // readers queued behind the try run
  }
};

/** Applies the events after `from` up to `to` to the live copy and moves its checkpoint to `to`, in `client`'s transaction. */
const catchUpLiveCopy = async (state: RunnerState, client: PoolClient, commit: CommitAnnouncement, from: Position, to: Position): Promise<void> => {
  let applied = 0;
  for (let at = from; at < to; ) {
    const page = await state.readPage(at);
    const events = page.events.filter((event) => event.position <= to);
    await writeParkingPoison(state, client, state.schema, events);
    applied += events.length;
    if (page.isEnd || page.nextPosition >= to) break;
    at = page.nextPosition;
  }
  await advanceCheckpoint(state, client, commit, from, to, applied);
};
