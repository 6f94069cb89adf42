import { AdvisoryLease } from '@clientela/messaging';
import { COMMAND_CHANNEL } from '../registry';
import type { RunnerState } from './runner-state';

/**
 * One active runner per projection: the lease (a session advisory lock) makes this one active or
 * leaves it standing by. The lease's connection also LISTENs for rebuild requests.
 */
export class Leadership {
  private readonly lease: AdvisoryLease;

  constructor(
    private readonly state: RunnerState,
    private readonly onRebuildRequest: () => void,
  ) {
    this.lease = new AdvisoryLease(state.pool, `clientela.projection.${state.name}`, () => this.lost(), state.options.connectionString);
  }

  /** Takes the lease if it is free; on success the runner is active and starting. */
  async tryLead(): Promise<boolean> {
    const state = this.state;
    if (state.active) return true;
    try {
      if (!(await this.lease.tryAcquire())) return false;
    } catch (error) {
      state.logger.warn('could not try the projection lock', { projection: state.name, error: String(error) });
      return false;
    }
    state.active = true;
    state.status = 'starting';
    const connection = this.lease.connection;
    connection?.on('notification', (message) => {
      if (message.payload === `rebuild:${state.name}` && state.active) this.onRebuildRequest();
    });
    await connection
      ?.query(`listen ${COMMAND_CHANNEL}`)
      .catch((error: unknown) => state.logger.warn('cannot listen for commands', { error: String(error) }));
    state.logger.info('active', { projection: state.name, instance: state.instance });
    return true;
  }

  async release(): Promise<void> {
    this.state.active = false;
    await this.lease.release();
  }

  /** The lease went with its connection: stand by, stop following. */
  private lost(): void {
    const state = this.state;
    state.active = false;
    state.restartLive = true;
    void state.subscription?.close();
    state.wakeWatermark?.();
  }
}
