import type { PoolClient } from 'pg';
import type { Position, RecordedEvent } from '@clientela/contracts';
import { isConnectionError } from '@clientela/postgres';
import type { RowChange, RowProjection } from '../projection';
import { RowChangeMerger } from '../row-changes';
import { projectAll, writeMergedRows } from '../sql-writer';
import { advanceCheckpoint } from './registry-row';
import { LostLeadershipError, type RunnerState } from './runner-state';

/**
 * Consecutive pages of a catch-up, their changes merged in memory, to be written in one transaction
 * with the checkpoint. Catching up is bound by PostgreSQL's upserts, about one per row a page
 * touches: a customer's totals that 40 pages change are written once instead of 40 times.
 */
export class CatchUpWindow {
  private readonly merger = new RowChangeMerger();
  events = 0;
  to: Position;
  readonly openedAt = Date.now();

  constructor(
    private readonly projection: RowProjection,
    /** The checkpoint the window starts from. */
    readonly from: Position,
  ) {
    this.to = from;
  }

  /** Rows the window writes so far. */
  get rows(): number {
    return this.merger.size;
  }

  get isEmpty(): boolean {
    return this.to === this.from;
  }

  /**
   * Adds a page that ends at `to`. False, with nothing added, when the projection throws on one of its
   * events: that page goes the page-by-page way, which finds and parks the poison event.
   */
  add(events: readonly RecordedEvent[], to: Position): boolean {
    let changes: RowChange[];
    try {
      changes = projectAll(this.projection, events);
    } catch {
      return false;
    }
    for (const change of changes) this.merger.add(change);
    this.events += events.length;
    this.to = to;
    return true;
  }

  /** Writes the merged rows in `client`'s transaction, into the copy its search_path names. */
  write(client: PoolClient): Promise<void> {
    return writeMergedRows(client, this.projection, this.merger.rounds());
  }

  /** Writes the window and moves the checkpoint from `from` to `to`, in one transaction. */
  async apply(state: RunnerState): Promise<void> {
    // A page fetched before a rebuild swapped in a newer copy is already in that copy.
    if (state.restartLive || this.to <= state.position) return;
    if (state.position !== this.from) {
      // Merged changes cannot be cut at the checkpoint: read again from it.
      state.restartLive = true;
      return;
    }
    try {
      await state.transaction(async (client, commit) => {
        await advanceCheckpoint(state, client, commit, this.from, this.to, this.events, state.schema);
        await this.write(client);
      });
    } catch (error) {
      if (error instanceof LostLeadershipError || isConnectionError(error)) throw error;
      // Read again from the checkpoint, these pages one by one: the page that fails is searched for its poison event.
      state.logger.warn('a catch-up window failed; applying its pages one by one', { projection: state.name, error: String(error) });
      state.unwindowedUntil = this.to;
      state.restartLive = true;
      return;
    }
    state.position = this.to;
    state.countApplied(this.events);
  }
}
