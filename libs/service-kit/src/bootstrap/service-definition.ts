import type { DynamicModule, Type } from '@nestjs/common';
import type { Context, EventCatalogue } from '@clientela/contracts';
import type { Projection } from '@clientela/projections';

/** Everything the kit needs to know about a service: the rest (config, store, bus, HTTP) it builds the same for all. */
export interface ServiceDefinition {
  /** Lower case; names its logs, metrics, relay and consumer groups. */
  name: string;
  /** For its OpenAPI document. */
  title: string;
  description: string;
  /** The event types it appends and reads. */
  catalogue: EventCatalogue;
  /** Its feature modules (one per vertical slice). */
  features: ReadonlyArray<Type | DynamicModule>;
  /** Read models the kit runs (from the store, or from Kafka when BUS=kafka) and reports in readiness. */
  projections?: readonly Projection[];
  /** TypeORM entities: read-model tables to query, and state that is not event-sourced. */
  entities?: ReadonlyArray<Type>;
  /** TypeORM migrations for that state (run at start; never `synchronize`). */
  migrations?: ReadonlyArray<Type>;
  /**
   * Stream categories of other services it reacts to: the `@EventPattern(type)` handlers of its feature
   * modules get their events, as one consumer (`<service>.reactions`) fed by the store in standalone mode
   * and by the categories' context topics in Kafka mode; each event is handled once (its id recorded in
   * the handler's transaction) and one that keeps failing is dead-lettered with the reason.
   */
  reactsTo?: readonly string[];
  /** The stream categories it writes and the context that publishes them; in Kafka mode it runs their relay. */
  publishes?: Readonly<Record<string, Context>>;
}
