import type { Position } from '@clientela/contracts';
import { backoffDelay, DEFAULT_BACKOFF, isConnectionError, sleep } from '@clientela/postgres';
import { migrateRegistry } from '../registry';
import { followKafka, kafkaBuildNeeded, kafkaEndOffsets } from './follow-kafka';
import { followStore } from './follow-store';
import { Leadership } from './leadership';
import { rebuildProgress, runRebuild } from './rebuild';
import { ensureLiveCopy, markStopped, recordError, recordRebuildFailure } from './registry-row';
import { LostLeadershipError, RunnerState, type ProjectionRunnerOptions, type ProjectionStatusName } from './runner-state';

export { rebuildProgress, type ProjectionRunnerOptions, type ProjectionStatusName };

/**
 * Keeps one projection's read model up to date. Of all runners of a projection, one is
 * active (it holds a PostgreSQL advisory lock, and every batch also checks that the
 * checkpoint is still the one it wrote); the others wait and take over when it dies.
 * Each batch is applied in one transaction together with the checkpoint.
 *
 * This class holds the lifecycle; the parts live beside it: leadership.ts, follow-store.ts,
 * follow-kafka.ts, parking.ts (poison events), rebuild.ts (rebuild and swap), registry-row.ts.
 */
export class ProjectionRunner {
  private readonly state: RunnerState;
  private readonly leadership: Leadership;
  private loop: Promise<void> | undefined;
  private rebuildTask: Promise<void> | undefined;

  constructor(options: ProjectionRunnerOptions) {
    this.state = new RunnerState(options);
    this.leadership = new Leadership(this.state, () => this.rebuildOnRequest());
  }

  get name(): string {
    return this.state.name;
  }

  get schema(): string {
    return this.state.schema;
  }

  get isActive(): boolean {
    return this.state.active;
  }

  get status(): ProjectionStatusName {
    return this.state.status;
  }

  get checkpoint(): Position {
    return this.state.position;
  }

  /** Starts the runner: it becomes active, or stands by until it can. Resolves once it knows which. */
  async start(): Promise<void> {
    if (this.state.running) return;
    this.state.running = true;
    await migrateRegistry(this.state.pool, this.state.registry);
    await this.leadership.tryLead();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    const state = this.state;
    state.running = false;
    await state.subscription?.close();
    state.wakeWatermark?.();
    await this.loop?.catch(() => undefined);
    await this.rebuildTask?.catch(() => undefined);
    if (state.active) await markStopped(state);
    await this.leadership.release();
    state.status = 'stopped';
  }

  /**
   * Builds a fresh copy from the first event while the live one keeps serving, then swaps. A rebuild
   * that fails is recorded in the registry (its error, no rebuild in progress) before it rejects.
   */
  rebuild(): Promise<void> {
    if (!this.state.active) return Promise.reject(new Error(`projection ${this.state.name} is not active in this process`));
    if (!this.rebuildTask) {
      const previous = this.state.status;
      this.rebuildTask = runRebuild(this.state, previous)
        .catch(async (error: unknown) => {
          await this.recordRebuildFailure(previous, error);
          throw error;
        })
        .finally(() => {
          this.rebuildTask = undefined;
        });
    }
    return this.rebuildTask;
  }

  /** A rebuild asked for by another process; rebuild() records a failure, the live copy stays. */
  private rebuildOnRequest(): void {
    if (this.state.status !== 'live') return; // picked up by follow() once live
    this.rebuild().catch((error: unknown) => this.state.logger.error('requested rebuild failed', { projection: this.state.name, error: String(error) }));
  }

  /**
   * The live copy goes on as it was: still serving when it was live (the error is in the status), failed
   * when it was waiting for this rebuild to start. A runner that lost leadership or stops records nothing.
   */
  private async recordRebuildFailure(previous: ProjectionStatusName, error: unknown): Promise<void> {
    const state = this.state;
    if (error instanceof LostLeadershipError || !state.running || !state.active) return;
    state.status = previous === 'live' ? 'live' : 'failed';
    await recordRebuildFailure(state, state.status, error);
  }

  private async run(): Promise<void> {
    const state = this.state;
    let failures = 0;
    while (state.running) {
      try {
        if (!state.active && !(await this.leadership.tryLead())) {
          state.status = 'standby';
          await sleep(state.options.takeoverIntervalMs ?? 1_000);
          continue;
        }
        await this.follow();
        failures = 0;
      } catch (error) {
        if (!state.running) return;
        if (error instanceof LostLeadershipError) {
          state.logger.warn('lost leadership; standing by', { projection: state.name });
          await this.leadership.release();
          continue;
        }
        failures++;
        await recordError(state, error);
        if (!isConnectionError(error) && state.status === 'stopped') return;
        state.logger.warn('projection runner failed; retrying', { projection: state.name, error: String(error), failures });
        await sleep(backoffDelay(failures, { ...DEFAULT_BACKOFF, initialMs: 200, maxMs: 10_000 }));
      }
    }
  }

  /** Prepares the live copy, rebuilds it first if it is old or incomplete, then follows the store or Kafka. */
  private async follow(): Promise<void> {
    const state = this.state;
    const live = await ensureLiveCopy(state);
    const source = state.options.source ?? { kind: 'store' };
    const reason =
      live.version !== state.projection.version
        ? `version changed from ${live.version} to ${state.projection.version}`
        : source.kind === 'kafka'
          ? await kafkaBuildNeeded(state, source, live)
          : undefined;
    if (reason) {
      state.logger.info('rebuilding', { projection: state.name, reason });
      // Read before the build reads the store: the copy will hold every message below these offsets.
      if (source.kind === 'kafka') state.kafkaOffsetsOfBuild = await kafkaEndOffsets(source);
      await this.rebuild();
      if (!state.active || !state.running) return;
    }
    if (source.kind === 'kafka') return followKafka(state, source, () => this.rebuildOnRequest());
    return followStore(state, () => this.rebuildOnRequest());
  }
}
