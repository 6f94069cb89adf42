/**
 * What one process knows of its own read-model writes: which projections it is the active writer
 * of, and a counter per projection that moves before and after each of its runner's transactions
 * (every write of a runner, a rebuild's swap included, goes through `RunnerState.transaction`) and
 * whenever the runner takes or loses leadership.
 *
 * A cache of answers read from projections that are all active here can check `clock(names)` instead
 * of asking PostgreSQL whether their rows moved: the same clock means no transaction of theirs began
 * or ended since, so what it read is still what is committed. An answer read during a transaction
 * (between its two moves) is still the committed state, and its commit moves the clock again. Only
 * in this process: when any of the projections is active elsewhere (another replica holds its lease),
 * or has no runner here, the clock is undefined and the cache must ask the database.
 */
export class LocalProjectionWrites {
  private readonly writers = new Map<string, { active: boolean; count: number }>();

  /** The sum of the named projections' counters while every one is active in this process; undefined otherwise. */
  clock(names: readonly string[]): number | undefined {
    let sum = 0;
    for (const name of names) {
      const writer = this.writers.get(name);
      if (!writer?.active) return undefined;
      sum += writer.count;
    }
    return sum;
  }

  /** A transaction of the projection's read model begins or ends here. */
  moved(name: string): void {
    this.writerOf(name).count++;
  }

  /** This process became, or stopped being, the projection's active writer: what was read before may be stale. */
  led(name: string, active: boolean): void {
    const writer = this.writerOf(name);
    writer.active = active;
    writer.count++;
  }

  private writerOf(name: string): { active: boolean; count: number } {
    let writer = this.writers.get(name);
    if (!writer) {
      writer = { active: false, count: 0 };
      this.writers.set(name, writer);
    }
    return writer;
  }
}
