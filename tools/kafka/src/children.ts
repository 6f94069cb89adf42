import { rmSync } from 'node:fs';

/**
 * Brokers started by this process. A process 'exit' handler kills any that are still running, so a test run
 * that ends without stopping its broker (or crashes on an exception) leaves no java process behind.
 * Signals that kill Node without an 'exit' event (SIGTERM, SIGKILL) are covered on Linux by starting java under
 * `setpriv --pdeathsig SIGTERM`; see broker.ts.
 */
interface Tracked {
  pid: number;
  /** Temp directory to remove after the kill (best effort). */
  cleanupDir?: string;
}

const tracked = new Map<number, Tracked>();
let hooked = false;

function killAllSync(): void {
  for (const entry of tracked.values()) {
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const entry of tracked.values()) {
    if (entry.cleanupDir) {
      try {
        rmSync(entry.cleanupDir, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        // best effort: the process is exiting
      }
    }
  }
  tracked.clear();
}

export function trackChild(pid: number, cleanupDir?: string): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', killAllSync);
  }
  tracked.set(pid, { pid, cleanupDir });
}

export function untrackChild(pid: number): void {
  tracked.delete(pid);
}
