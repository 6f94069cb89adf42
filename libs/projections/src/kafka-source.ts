import type { Pool } from 'pg';
import type { Admin, ConsumerConfig, Kafka } from 'kafkajs';
import { categoryOf, parsePosition, type EventCatalogue, type Position, type RecordedEvent } from '@clientela/contracts';
import { EventHeaders, type BatchHandlerContext, type BatchItems } from '@clientela/messaging';
import type { Projection } from './projection';
import type { PersonalDataCodec } from '@clientela/event-store';
import { writeProjectionEvents } from './sql-writer';

/** Where a runner's live copy gets its events from. Rebuilds always read the store. */
export type ProjectionSource = { kind: 'store' } | KafkaProjectionSource;

export interface KafkaProjectionSource {
  kind: 'kafka';
  kafka: Kafka;
  /** The topics the relay publishes the projection's events to (each needs its `<topic>.dlq`). */
  topics: readonly string[];
  /** The relay publishing those topics: its checkpoint `relay:<relayName>` drives the read-your-writes position. */
  relayName: string;
  /** The consumer group (and handled-events name). Default: the projection's name; prefix it when platforms share a cluster. */
  groupId?: string;
  /** Checks relayed events as the messaging consumers do. */
  catalogue?: EventCatalogue;
  /** Opens the personal fields of relayed events (published sealed, as stored). */
  personalData?: PersonalDataCodec;
  /** The messaging schema (handled events, relay checkpoints). Default `messaging`. */
  messagingSchema?: string;
  /** How often the read-your-writes position is recomputed besides after each batch. Default 250 ms. */
  watermarkIntervalMs?: number;
  /** Messages per transaction. Default 500. */
  batchSize?: number;
  consumerConfig?: Partial<ConsumerConfig>;
}

/**
 * The messaging batch handler of a projection's live copy: it runs in the consumer's transaction, the
 * one that records the batch's events as handled, so their effect happens exactly once; the batch's
 * events are written with one writeProjectionEvents call.
 *
 * It first takes a key-share lock on the projection's registry row (which the runner's own updates
 * of progress and position do not wait for, nor it for them), once per batch. A rebuild's swap holds
 * that row for update while it catches the new copy up to the store head, renames it in, and records
 * the head as `swap_position` S: so a batch runs wholly before a swap (its writes go to the old copy,
 * and the new copy has the events from the store) or wholly after it, when it passes over every event
 * at or below S. Nothing is lost that way: the relay publishes only events already in the store, so an
 * event handled before the swap committed is at or below S, and an event above S reaches the
 * handler after the swap and is applied to the new copy.
 */
export const kafkaProjectionBatchHandler =
  (projection: Projection, schema: string, registry: string) =>
  async (items: BatchItems<RecordedEvent>, { tx }: BatchHandlerContext): Promise<void> => {
    const types = new Set(projection.eventTypes);
    const wanted = items.filter(
      ({ payload }) => types.has(payload.type) && (!projection.categories || projection.categories.includes(categoryOf(payload.streamId))),
    );
    if (wanted.length === 0) return;
    const { rows } = await tx.query<{ swap_position: string }>(
      `select swap_position::text from ${registry}.state where name = $1 for key share`,
      [projection.name],
    );
    if (!rows[0]) return;
    const swapPosition = BigInt(rows[0].swap_position);
    const events = wanted.flatMap(({ payload, message }) => {
      const header = message.headers[EventHeaders.position];
      const position = header !== undefined ? parsePosition(header) : payload.position;
      return position <= swapPosition ? [] : [payload];
    });
    if (events.length > 0) await writeProjectionEvents(tx, projection, schema, events);
  };

/**
 * The store position up to which every event the projection handles has been applied from Kafka,
 * or undefined while the consumer group is behind. Kafka has no global order, so it is read from
 * the relay: its checkpoint R first, then the topics' end offsets, then the group's committed offsets.
 *
 * The order matters. The relay moves R only after the broker acknowledged every event up to R, so
 * those events all sit below end offsets read after R. Read the other way round, an event at or
 * below R could be appended to a partition after its end offset was read, and a group that reached
 * those ends would not have handled it. Committed offsets come last: an offset is committed only
 * after its transaction did, so a committed offset at the end means every message before it was
 * applied (or dead-lettered, as the store runner parks a poison event). Below the end offsets read
 * before the copy's build (`builtFrom`) every message is in the copy already, whatever the group committed:
 * after retention deleted what the group had not read, a partition with nothing new keeps its old offset.
 */
export const kafkaWatermark = async (
  pool: Pool,
  admin: Admin,
  options: { relayName: string; topics: readonly string[]; groupId: string; messagingSchema: string; builtFrom?: PartitionOffsets },
): Promise<Position | undefined> => {
  const { rows } = await pool.query<{ position: string }>(`select position from ${options.messagingSchema}.checkpoints where name = $1`, [
    `relay:${options.relayName}`,
  ]);
  if (!rows[0]) return undefined;
  const relayed = parsePosition(rows[0].position);
  const ends = new Map<string, bigint>();
  for (const topic of options.topics) {
    for (const partition of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${partition.partition}`, BigInt(partition.high));
  }
  const committed = new Map<string, bigint>();
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId: options.groupId, topics: [...options.topics] })) {
    for (const partition of partitions) committed.set(`${topic}:${partition.partition}`, BigInt(partition.offset));
  }
  for (const [partition, end] of ends) {
    if (end === 0n) continue; // empty partition (a group with no offset there reports -1)
    const resume = committed.get(partition) ?? -1n;
    const built = BigInt(options.builtFrom?.[partition] ?? '-1');
    if ((built > resume ? built : resume) < end) return undefined;
  }
  return relayed;
};

/** Offsets per partition, keyed `<topic>:<partition>`, as decimal strings (as the registry keeps them). */
export type PartitionOffsets = Record<string, string>;

/** Each partition's end offset now. */
export const topicEndOffsets = async (admin: Admin, topics: readonly string[]): Promise<PartitionOffsets> => {
  const ends: PartitionOffsets = {};
  for (const topic of topics) for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends[`${topic}:${partition}`] = high;
  return ends;
};

/**
 * Where retention deleted messages a copy never got, or undefined. Everything below the end offsets
 * read before the copy's build (`builtFrom`) is in the copy (the relay published it from the store
 * before the build read the store); the group resumes at its committed offset. So a partition whose
 * first kept offset lies above both has lost messages the copy needs: it must be built again.
 */
export const kafkaRetentionGap = async (
  admin: Admin,
  options: { topics: readonly string[]; groupId: string; builtFrom: PartitionOffsets },
): Promise<string | undefined> => {
  const committed = new Map<string, bigint>();
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId: options.groupId, topics: [...options.topics] })) {
    for (const { partition, offset } of partitions) committed.set(`${topic}:${partition}`, BigInt(offset));
  }
  for (const topic of options.topics) {
    for (const { partition, low } of await admin.fetchTopicOffsets(topic)) {
      const key = `${topic}:${partition}`;
      const built = BigInt(options.builtFrom[key] ?? '-1');
      const resume = committed.get(key) ?? -1n;
      const covered = built > resume ? built : resume;
      if (covered < BigInt(low)) return `${key} keeps offsets from ${low}; the copy holds messages below ${built}, the group resumes at ${resume}`;
    }
  }
  return undefined;
};
