import { isRowProjection } from '../projection';
import { CatchUpWindow } from './catch-up-window';
import { finishCopy } from './copy-writes';
import { applyLive } from './parking';
import { markLive, readCheckpoint, rebuildRequested } from './registry-row';
import { DEFAULT_CATCH_UP_WINDOW_MS, DEFAULT_CATCH_UP_WINDOW_ROWS, type RunnerState } from './runner-state';
import type { RecordedEvent } from '@clientela/contracts';
import { planProjectionWrites, type PlannedWrites } from '../sql-writer';

/** A page's statements, or none when planning fails: applying it then fails and retries as it would have. */
const plan = (state: RunnerState, events: RecordedEvent[]): PlannedWrites | undefined => {
  try {
    return events.length > 0 ? planProjectionWrites(state.projection, events) : undefined;
  } catch {
    return undefined;
  }
};

const withSignal = (planned: PlannedWrites | undefined, whenWriting: () => void): PlannedWrites | undefined =>
  planned && { ...planned, whenWriting };

/** The live loop from the store: a subscription from the checkpoint, each page applied in one transaction with it. */
export const followStore = async (state: RunnerState, onRebuildRequest: () => void): Promise<void> => {
  // Under the mutex, so that a rebuild's swap cannot slip between reading the checkpoint and subscribing.
  const subscription = await state.mutex.run(async () => {
    state.position = await readCheckpoint(state);
    state.restartLive = false;
    return state.subscribe(state.position);
  });
  state.subscription = subscription;
  // stop() may have come while we were subscribing: it closed nothing then, so close here.
  if (!state.running || !state.active) {
    await subscription.close();
    state.subscription = undefined;
    return;
  }
  state.status = 'live';
  await markLive(state);
  if (await rebuildRequested(state)) onRebuildRequest();
  try {
    let indexed = false;
    // While catching up, a page is projected and merged (Node's CPU) while the page before is being
    // written (PostgreSQL's): the two used to take turns. Pages are still applied one at a time, in order.
    let applying: Promise<void> | undefined;
    // Planning waits until the page before has its writes on their way: planning is synchronous, and
    // the write's first round trips (begin, checkpoint) would otherwise wait for it to end.
    let writing: Promise<void> | undefined;
    // While catching up, pages are merged into a window written once it is large enough, old enough
    // or the end is reached, in the background as a page's apply is.
    const windowRows = state.options.catchUpWindowRows ?? DEFAULT_CATCH_UP_WINDOW_ROWS;
    const windowMs = state.options.catchUpWindowMs ?? DEFAULT_CATCH_UP_WINDOW_MS;
    const projection = state.projection;
    let window: CatchUpWindow | undefined;
    /** Where the last page taken ends: the next window starts there. */
    let taken = state.position;
    const flush = async (): Promise<void> => {
      const full = window;
      window = undefined;
      if (!full || full.isEmpty) return;
      await applying;
      applying = undefined;
      if (state.restartLive || !state.running || !state.active) return;
      (applying = state.mutex.run(() => full.apply(state))).catch(() => undefined); // seen where it is awaited
    };
    try {
      for await (const page of subscription.pages()) {
        if (!state.running || !state.active) break;
        if (windowRows > 0 && !page.caughtUp && isRowProjection(projection) && page.position > state.unwindowedUntil) {
          window ??= new CatchUpWindow(projection, taken);
          if (window.add(page.events, page.position)) {
            taken = page.position;
            if (window.rows >= windowRows || Date.now() - window.openedAt >= windowMs) await flush();
            if (state.restartLive) break;
            continue;
          }
        }
        await flush();
        taken = page.position;
        await writing;
        let wrote = (): void => undefined;
        writing = new Promise<void>((resolve) => (wrote = resolve));
        const planned = withSignal(plan(state, page.events), wrote);
        await applying;
        applying = undefined;
        if (state.restartLive || !state.running || !state.active) break;
        const applied = state.mutex.run(() => applyLive(state, page.events, page.position, planned));
        void applied.finally(wrote).catch(() => undefined); // also when nothing was written
        if (page.caughtUp) await applied;
        else (applying = applied).catch(() => undefined); // seen where it is awaited
        if (state.restartLive) break;
        if (page.caughtUp && !indexed) {
          // A first build runs without secondary indexes; they come once it has caught up.
          indexed = true;
          await state.mutex.run(() => finishCopy(state, state.schema));
        }
      }
      await applying;
    } finally {
      await applying?.catch(() => undefined);
    }
  } finally {
    await subscription.close();
    state.subscription = undefined;
  }
};
