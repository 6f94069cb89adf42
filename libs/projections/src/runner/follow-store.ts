import { finishCopy } from './copy-writes';
import { applyLive } from './parking';
import { markLive, readCheckpoint, rebuildRequested } from './registry-row';
import type { RunnerState } from './runner-state';

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
    for await (const page of subscription.pages()) {
      if (!state.running || !state.active) break;
      await state.mutex.run(() => applyLive(state, page.events, page.position));
      if (state.restartLive) break;
      if (page.caughtUp && !indexed) {
        // A first build runs without secondary indexes; they come once it has caught up.
        indexed = true;
        await state.mutex.run(() => finishCopy(state, state.schema));
      }
    }
  } finally {
    await subscription.close();
    state.subscription = undefined;
  }
};
