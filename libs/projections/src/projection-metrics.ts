import { Counter, Gauge, Registry } from 'prom-client';

/** Prometheus metrics of the projection runners of one process. */
export class ProjectionMetrics {
  readonly eventsApplied: Counter<'projection'>;
  readonly deadLetters: Counter<'projection'>;
  readonly lagEvents: Gauge<'projection'>;
  readonly lagSeconds: Gauge<'projection'>;
  readonly rebuildProgress: Gauge<'projection'>;

  constructor(readonly registry: Registry = new Registry()) {
    this.eventsApplied = new Counter({
      name: 'clientela_projection_events_applied_total',
      help: 'Events applied to read models',
      labelNames: ['projection'],
      registers: [registry],
    });
    this.deadLetters = new Counter({
      name: 'clientela_projection_dead_letters_total',
      help: 'Events parked in the dead letters after failing every retry',
      labelNames: ['projection'],
      registers: [registry],
    });
    this.lagEvents = new Gauge({
      name: 'clientela_projection_lag_events',
      help: 'Events in the store that the projection has not applied yet',
      labelNames: ['projection'],
      registers: [registry],
    });
    this.lagSeconds = new Gauge({
      name: 'clientela_projection_lag_seconds',
      help: 'Age of the oldest event the projection has not applied yet',
      labelNames: ['projection'],
      registers: [registry],
    });
    this.rebuildProgress = new Gauge({
      name: 'clientela_projection_rebuild_progress_ratio',
      help: 'Share of the store a running rebuild has read (1 when none runs)',
      labelNames: ['projection'],
      registers: [registry],
    });
  }
}
