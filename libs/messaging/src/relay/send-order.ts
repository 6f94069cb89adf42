/**
 * Keeps a relay's pipelined sends in order across a failure. The relay posts the next batches while
 * one is still at the broker; when that one fails, the batches posted behind it must not reach the
 * broker before it is sent again, or a partition would get its messages out of order. So after a
 * failure every `next` send is refused unsent until a `resume` send (the relay sending again, in
 * order, what was refused) is let through: it clears the failure.
 */
export class SendOrder {
  private broken = false;

  /** Whether a send may go: `resume` always; a `next` only while nothing failed since the last resume. */
  admit(mode: SendMode): boolean {
    if (mode === 'resume') this.broken = false;
    return !this.broken;
  }

  /** A send failed (or was lost with its thread): what was posted behind it is refused. */
  fail(): void {
    this.broken = true;
  }
}

/** `next`: pipelined behind the sends before it; `resume`: the first of the sends again after a failure. */
export type SendMode = 'next' | 'resume';

/** A send refused because one posted before it failed: the relay sends it again after that one. */
export class SendOutOfTurnError extends Error {
  override readonly name = 'SendOutOfTurnError';
  constructor() {
    super('not sent: a send before it failed');
  }
}
