import type { Pool } from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { openWriteTransactions } from '@clientela/event-store';
import type { ReadinessCheck } from '@clientela/platform';

/** A writing transaction open this long is named in readiness and metrics. */
export const HORIZON_WARN_SECONDS = 5;

/**
 * Makes visible what cannot be fixed in the PostgreSQL event store: a write transaction left
 * open anywhere in the cluster holds every subscriber back. Readiness stays up (the service
 * still answers) but names the transaction; the gauge carries database, pid and age of each (the five oldest).
 */
export const watchEventStoreHorizon = (pool: Pool, metrics: Registry, warnSeconds = HORIZON_WARN_SECONDS): ReadinessCheck => {
  const holders = () => openWriteTransactions(pool, warnSeconds);
  new Gauge({
    name: 'clientela_event_store_horizon_held_seconds',
    help: `Age of the oldest write transaction in the PostgreSQL cluster once past ${warnSeconds} s: subscribers, the relay and projections wait for it`,
    labelNames: ['database', 'pid', 'application'],
    registers: [metrics],
    async collect() {
      this.reset();
      for (const holder of await holders().catch(() => [])) {
        this.set({ database: holder.database ?? '', pid: String(holder.pid), application: holder.applicationName ?? '' }, holder.ageSeconds);
      }
    },
  });
  return {
    name: 'event store horizon',
    check: async () => {
      const heldBy = await holders();
      if (heldBy.length === 0) return { status: 'up' };
      return {
        status: 'up',
        details: { heldBy, effect: 'new events reach subscribers, the relay and projections only once the oldest of these transactions ends' },
      };
    },
  };
};
