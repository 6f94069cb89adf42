import { DefaultCategoryContexts, type Context } from '@clientela/contracts';
import { ClientelaTransport, messagingMetrics, Relay } from '@clientela/messaging';
import { LocalProjectionWrites, ProjectionMetrics, ProjectionRunner, type Projection, type ProjectionSource } from '@clientela/projections';
import { componentReadiness, type ReadinessCheck } from '@clientela/platform';
import { ensureTopics, type ServiceInfrastructure } from '../infrastructure/service-infrastructure';
import type { ServiceDefinition } from './service-definition';


/** The one context whose topic carries a projection's events (its categories must belong to one). */
const contextOf = (projection: Projection, fallback: readonly Context[]): Context => {
  const contexts = [...new Set(projection.categories ? projection.categories.map((c) => DefaultCategoryContexts[c]) : fallback)];
  if (contexts.length !== 1 || !contexts[0]) {
    throw new TypeError(`projection ${projection.name}: in Kafka mode its categories must belong to exactly one context (got ${contexts.join(', ') || 'none'})`);
  }
  return contexts[0];
};

/** The topics that carry these categories' events: one per context that owns them. */
const topicsOf = (categories: readonly string[], infra: ServiceInfrastructure): string[] =>
  [
    ...new Set(
      categories.map((category) => {
        const context = DefaultCategoryContexts[category];
        if (!context) throw new TypeError(`reactsTo: category ${category} belongs to no context, so no topic carries it`);
        return infra.topicOf(context);
      }),
    ),
  ];

/**
 * The background parts of a service: its relay (Kafka mode), its projection runners and the consumer
 * of its reactions. Started once the app is up, stopped before its pools close: batches finish and
 * checkpoints are committed.
 */
export class ServiceRuntime {
  private readonly relays: Relay[] = [];
  private readonly runners: ProjectionRunner[] = [];
  /** Which of the service's projections this process writes, for caches of their rows (`LocalProjectionWrites`). */
  readonly localWrites = new LocalProjectionWrites();
  /** The transport of the service's `@EventPattern` handlers, when it reacts to other services' events. */
  readonly reactions: ClientelaTransport | undefined;

  constructor(
    private readonly infra: ServiceInfrastructure,
    private readonly definition: ServiceDefinition,
  ) {
    const categories = definition.reactsTo ?? [];
    if (categories.length === 0) return;
    const common = { name: infra.groupIdOf('reactions'), pool: infra.pool, catalogue: definition.catalogue, personalData: infra.personalData?.protection, metrics: messagingMetrics(infra.metrics), logger: infra.logger.child({ consumer: 'reactions' }) };
    this.reactions = infra.kafka
      ? new ClientelaTransport({ ...common, bus: 'kafka', kafka: infra.kafka.client, topics: topicsOf(categories, infra) })
      : new ClientelaTransport({ ...common, bus: 'standalone', store: infra.store, filter: { categories } });
  }

  /** Readiness of the relays (Kafka and PostgreSQL) and of the reactions consumer (PostgreSQL). */
  readiness(): ReadinessCheck[] {
    const reactions = this.reactions;
    return [
      ...(this.infra.kafka ? [componentReadiness('relay', () => this.relays.flatMap((relay) => relay.health()))] : []),
      ...(reactions ? [componentReadiness('reactions', () => [reactions.health()])] : []),
    ];
  }

  async start(): Promise<void> {
    const { infra, definition } = this;
    const logger = infra.logger;
    const published = [...new Set(Object.values(definition.publishes ?? {}))];
    if (infra.kafka) {
      const followed = (definition.projections ?? []).map((p) => contextOf(p, published));
      const reactedTo = topicsOf(definition.reactsTo ?? [], infra);
      await ensureTopics(infra.kafka.client, [...new Set([...[...published, ...followed].map(infra.topicOf), ...reactedTo])]);
      const metrics = messagingMetrics(infra.metrics);
      for (const context of published) {
        const categories = Object.fromEntries(Object.entries(definition.publishes ?? {}).filter(([, c]) => c === context));
        this.relays.push(
          new Relay({ name: context, store: infra.store, pool: infra.pool, kafka: infra.kafka.config, categories, topicOf: infra.topicOf, metrics, logger: logger.child({ relay: context }) }),
        );
      }
      await Promise.all(this.relays.map((relay) => relay.start()));
    }
    const projectionMetrics = new ProjectionMetrics(infra.metrics);
    for (const projection of definition.projections ?? []) {
      const source: ProjectionSource = infra.kafka
        ? { kind: 'kafka', kafka: infra.kafka.client, topics: [infra.topicOf(contextOf(projection, published))], relayName: contextOf(projection, published), groupId: infra.groupIdOf(projection.name), catalogue: definition.catalogue, personalData: infra.personalData?.protection }
        : { kind: 'store' };
      this.runners.push(
        new ProjectionRunner({
          projection,
          store: infra.store,
          pool: infra.pool,
          source,
          localWrites: this.localWrites,
          metrics: projectionMetrics,
          logger: logger.child({ projection: projection.name }),
          personalFields: (type) => (definition.catalogue.has(type) ? definition.catalogue.personalFields(type) : []),
        }),
      );
    }
    await Promise.all(this.runners.map((runner) => runner.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await Promise.all(this.relays.map((relay) => relay.stop()));
  }
}
