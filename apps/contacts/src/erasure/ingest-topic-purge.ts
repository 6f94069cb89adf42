import { Inject, Injectable } from '@nestjs/common';
import { INGEST_TOPIC } from '@clientela/contracts';
import { errorMessage } from '@clientela/platform';
import { SERVICE_INFRASTRUCTURE, type ServiceInfrastructure } from '@clientela/service-kit';

/**
 * The ingest topic is written in clear by the systems that send events, and Kafka cannot erase one
 * record. What the ingest consumer has committed is in the event store already (sealed), so on each
 * erasure the records below the ingest group's committed offsets are deleted (Kafka's DeleteRecords):
 * the erased person's messages go with them. Messages not consumed yet stay until they are, and are
 * then refused (their person is erased). Kafka mode only; standalone mode has no ingest topic.
 */
@Injectable()
export class IngestTopicPurge {
  constructor(@Inject(SERVICE_INFRASTRUCTURE) private readonly infra: ServiceInfrastructure) {}

  async purgeConsumed(): Promise<void> {
    const { kafka, config } = this.infra;
    if (!kafka || config.bus.kind !== 'kafka') return;
    const topic = `${config.bus.topicPrefix}${INGEST_TOPIC}`;
    const admin = kafka.client.admin();
    try {
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: this.infra.groupIdOf('ingest'), topics: [topic] });
      const partitions = (committed?.partitions ?? []).filter((p) => Number(p.offset) > 0).map((p) => ({ partition: p.partition, offset: p.offset }));
      if (partitions.length > 0) await admin.deleteTopicRecords({ topic, partitions });
    } catch (error) {
      // The person is erased already (keys destroyed, ContactErased appended); the next erasure deletes these records.
      this.infra.logger.warn('could not delete the consumed records of the ingest topic', { topic, error: errorMessage(error) });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
