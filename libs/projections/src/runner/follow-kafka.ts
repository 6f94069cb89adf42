import type { Admin } from 'kafkajs';
import type { Position, RecordedEvent } from '@clientela/contracts';
import { startKafkaConsumer, type RunningKafkaConsumer } from '@clientela/messaging';
import { kafkaProjectionBatchHandler, kafkaRetentionGap, kafkaWatermark, topicEndOffsets, type KafkaProjectionSource, type PartitionOffsets } from '../kafka-source';
import { readCheckpoint, readKafkaOffsets, rebuildRequested, type LiveCopyState } from './registry-row';
import type { RunnerState } from './runner-state';

export const withKafkaAdmin = async <T>(source: KafkaProjectionSource, use: (admin: Admin) => Promise<T>): Promise<T> => {
  const admin = source.kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};

/** The topics' end offsets now: read before a build reads the store, the copy will hold every message below them. */
export const kafkaEndOffsets = (source: KafkaProjectionSource): Promise<PartitionOffsets> =>
  withKafkaAdmin(source, (admin) => topicEndOffsets(admin, source.topics));

/**
 * Why a copy that follows Kafka must be built from the store first, if it must: a new copy, or one
 * whose build did not reach its swap (what it had read may be gone from the topics); or one that
 * retention has left behind, having deleted messages it never got.
 */
export const kafkaBuildNeeded = async (state: RunnerState, source: KafkaProjectionSource, live: LiveCopyState): Promise<string | undefined> => {
  if (!live.built) return 'no finished build from the store';
  const gap = await withKafkaAdmin(source, (admin) =>
    kafkaRetentionGap(admin, { topics: source.topics, groupId: source.groupId ?? state.name, builtFrom: live.kafkaOffsets ?? {} }),
  );
  return gap && `retention deleted messages the copy never got (${gap})`;
};

/**
 * The live loop from Kafka: the messaging consumer writes each batch of events into the live copy in
 * its own transaction (see kafkaProjectionBatchHandler), while this loop moves the registry position to the
 * relay's checkpoint whenever the group has caught up with it (see kafkaWatermark).
 */
export const followKafka = async (state: RunnerState, source: KafkaProjectionSource, onRebuildRequest: () => void): Promise<void> => {
  const messagingSchema = source.messagingSchema ?? 'messaging';
  const admin: Admin = source.kafka.admin();
  await admin.connect();
  let consumer: RunningKafkaConsumer<RecordedEvent> | undefined;
  try {
    consumer = await startKafkaConsumer<RecordedEvent>({
      kafka: source.kafka,
      name: source.groupId ?? state.name,
      pool: state.pool,
      topics: source.topics,
      catalogue: source.catalogue,
      personalData: source.personalData,
      schema: messagingSchema,
      batchSize: source.batchSize,
      consumerConfig: source.consumerConfig,
      batchHandler: kafkaProjectionBatchHandler(state.projection, state.schema, state.registry),
      batchTypes: state.projection.eventTypes,
      afterCommit: (handled) => {
        state.countApplied(handled.length);
        state.wakeWatermark?.();
      },
    });
    state.position = await readCheckpoint(state);
    const builtFrom = await readKafkaOffsets(state);
    state.restartLive = false;
    state.status = 'live';
    if (await rebuildRequested(state)) onRebuildRequest();
    while (state.running && state.active) {
      try {
        const watermark = await kafkaWatermark(state.pool, admin, {
          relayName: source.relayName,
          topics: source.topics,
          groupId: source.groupId ?? state.name,
          messagingSchema,
          builtFrom,
        });
        if (watermark !== undefined) await state.mutex.run(() => advanceWatermark(state, watermark));
      } catch (error) {
        // The consumer rides out a broker or database outage on its own; the position waits for it.
        state.logger.warn('could not move the position to the relay watermark', { projection: state.name, error: String(error) });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, source.watermarkIntervalMs ?? 250);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        state.wakeWatermark = done;
      });
      state.wakeWatermark = undefined;
    }
  } finally {
    await consumer?.stop().catch((error: unknown) => state.logger.warn('could not stop the Kafka consumer', { projection: state.name, error: String(error) }));
    await admin.disconnect().catch(() => undefined);
  }
};

/** Moves the registry position forward (never back) to a Kafka watermark, fenced by ownership. */
const advanceWatermark = (state: RunnerState, to: Position): Promise<void> =>
  state.transaction(async (client, commit) => {
    const { rowCount } = await client.query(
      `update ${state.registry}.state
          set position = $3, status = 'live', events_per_second = $4, updated_at = now()
        where name = $1 and owner = $2 and position < $3 and built`,
      [state.name, state.instance, to.toString(), state.rate.perSecond],
    );
    if (rowCount === 1) {
      commit.checkpoint = to;
      state.position = to;
    }
  });
