import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { INGEST_TOPIC, ingestKey } from '@clientela/contracts';
import { messagingMetrics, PoisonMessageError, startIngestConsumer, type RunningKafkaConsumer } from '@clientela/messaging';
import type { IngestMessage } from '@clientela/contracts';
import { ensureTopics, SERVICE_INFRASTRUCTURE, type ServiceInfrastructure } from '@clientela/service-kit';
import { IngestService, MAX_INGEST_ITEMS } from './ingest.service';

/**
 * In Kafka mode the contacts service consumes `clientela.ingest.v1` (with the topic prefix): a
 * Kafka batch is one ingest batch, one multi-stream append. A message that cannot be ingested
 * makes the batch go one at a time (the messaging library's fallback), where it alone is
 * dead-lettered with its reason; the others are then duplicates of what was written, a no-op.
 */
@Injectable()
export class IngestConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running?: RunningKafkaConsumer<IngestMessage>;
  private writtenByFailedBatch = new Set<string>();

  constructor(
    @Inject(SERVICE_INFRASTRUCTURE) private readonly infra: ServiceInfrastructure,
    private readonly ingest: IngestService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { infra } = this;
    if (!infra.kafka || infra.config.bus.kind !== 'kafka') return;
    const topic = `${infra.config.bus.topicPrefix}${INGEST_TOPIC}`;
    await ensureTopics(infra.kafka.client, [topic]);
    this.running = await startIngestConsumer({
      kafka: infra.kafka.client,
      name: infra.groupIdOf('ingest'),
      pool: infra.pool,
      topic,
      batchSize: MAX_INGEST_ITEMS,
      metrics: messagingMetrics(infra.metrics),
      logger: infra.logger.child({ consumer: 'ingest' }),
      batchHandler: async (items) => {
        // The fallback after a refused message hands the batch back one message at a time: those
        // the batch wrote need nothing more than being recorded as handled, which keeps the
        // fallback short (a long one outlasts the group session, and the batch comes back).
        if (items.length === 1 && this.writtenByFailedBatch.has(ingestKey(items[0].payload))) return;
        const { results } = await this.ingest.ingest(items.map(({ payload }, index) => ({ index, message: payload })));
        const refused = results.find((r) => r.status === 'rejected');
        if (refused?.status !== 'rejected') return;
        // Alone, it is poison with its reason; in a batch, the fallback isolates it.
        if (items.length === 1) throw new PoisonMessageError(refused.code, `${refused.detail}: ${refused.violations.map((v) => `${v.path}: ${Object.values(v.constraints).join(', ')}`).join('; ')}`);
        this.writtenByFailedBatch = new Set(results.filter((r) => r.status !== 'rejected').map((r) => ingestKey(items[r.index].payload)));
        throw new Error(`ingest batch: message ${refused.index} cannot be ingested; going one at a time`);
      },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.running?.stop();
  }
}
