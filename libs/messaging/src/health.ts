/** What a relay or consumer says about itself, for readiness checks. */
export interface ComponentHealth {
  name: string;
  status: 'up' | 'down';
  /** Why it is down, while it is. */
  error?: string;
  /** Since when it has been down (ISO-8601). */
  downSince?: string;
}

/** Tracks up/down from successes and failures, and tells the log once per change, not per retry. */
export class HealthTracker {
  private error: string | undefined;
  private downSince: Date | undefined;

  constructor(
    readonly name: string,
    private readonly onChange: (health: ComponentHealth) => void = () => undefined,
  ) {}

  down(error: string): void {
    const wasUp = this.downSince === undefined;
    this.error = error;
    this.downSince ??= new Date();
    if (wasUp) this.onChange(this.current());
  }

  up(): void {
    if (this.downSince === undefined) return;
    this.error = undefined;
    this.downSince = undefined;
    this.onChange(this.current());
  }

  current(): ComponentHealth {
    return this.downSince === undefined
      ? { name: this.name, status: 'up' }
      : { name: this.name, status: 'down', error: this.error, downSince: this.downSince.toISOString() };
  }
}
