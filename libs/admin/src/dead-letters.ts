import { NotFoundError } from '@clientela/contracts';
import type { StoredDeadLetter } from '@clientela/messaging';
import type { AdminConnections } from './connections';

/** Loaded when used (Nest comes with libs/messaging): see tools/cli on the CLI's memory. */
const messaging = () => import('@clientela/messaging');

export interface DeadLetterSelection {
  /** Kafka: the consumed topic (not its .dlq); every topic the platform consumes when absent. */
  topic?: string;
  consumer?: string;
}

/** Where dead letters are: `<topic>.dlq` in Kafka mode, the messaging.dead_letters table in standalone mode. */
export const deadLetterStore = (connections: AdminConnections): 'kafka' | 'table' => (connections.kafka ? 'kafka' : 'table');

const topicsOf = (connections: AdminConnections, selection: DeadLetterSelection): string[] => (selection.topic ? [selection.topic] : connections.consumedTopics());

const existingTopics = async (connections: AdminConnections, topics: string[]): Promise<string[]> => {
  const admin = connections.kafka!.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    return topics.filter((t) => existing.has(`${t}.dlq`));
  } finally {
    await admin.disconnect();
  }
};

/** Open dead letters, oldest first, each with its consumer and the reason it gave up. */
export const listDeadLetters = async (connections: AdminConnections, selection: DeadLetterSelection = {}): Promise<StoredDeadLetter[]> => {
  const { KafkaDeadLetters, migrateMessaging, TableDeadLetters } = await messaging();
  if (deadLetterStore(connections) === 'table') {
    await migrateMessaging(connections.pool);
    return new TableDeadLetters(connections.pool).list({ consumer: selection.consumer, limit: 10_000 });
  }
  const letters = new KafkaDeadLetters(connections.kafka!);
  const lists = await Promise.all(
    (await existingTopics(connections, topicsOf(connections, selection))).map((topic) => letters.list(topic, { consumer: selection.consumer })),
  );
  return lists.flat().sort((a, b) => a.failedAt.localeCompare(b.failedAt) || a.id.localeCompare(b.id));
};

export const showDeadLetter = async (connections: AdminConnections, id: string): Promise<StoredDeadLetter> => {
  const topic = deadLetterStore(connections) === 'kafka' ? originalTopicOf(id) : undefined;
  const letter = (await listDeadLetters(connections, topic ? { topic } : {})).find((l) => l.id === id);
  if (!letter) throw new NotFoundError(`no open dead letter has the id ${id}`);
  return letter;
};

/** A Kafka letter's id is `<topic>.dlq:<partition>:<offset>`. */
const originalTopicOf = (id: string): string | undefined => /^(.+)\.dlq:\d+:\d+$/.exec(id)?.[1];

/**
 * Puts dead letters back: on Kafka, the originals go back on their topic and the letters are closed;
 * in the table, the owning consumer is asked to handle them again. Resolves to how many.
 */
export const redriveDeadLetters = async (connections: AdminConnections, selection: DeadLetterSelection & { ids?: string[] } = {}): Promise<number> => {
  const { KafkaDeadLetters, migrateMessaging, TableDeadLetters } = await messaging();
  if (deadLetterStore(connections) === 'table') {
    await migrateMessaging(connections.pool);
    return new TableDeadLetters(connections.pool).redrive({ consumer: selection.consumer, ids: selection.ids });
  }
  const letters = new KafkaDeadLetters(connections.kafka!);
  const byTopic = new Map<string, string[] | undefined>();
  if (selection.ids?.length) {
    for (const id of selection.ids) {
      const topic = originalTopicOf(id);
      if (!topic) throw new NotFoundError(`${id} is not a Kafka dead letter id (<topic>.dlq:<partition>:<offset>)`);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), id]);
    }
  } else {
    for (const topic of await existingTopics(connections, topicsOf(connections, selection))) byTopic.set(topic, undefined);
  }
  let sent = 0;
  for (const [topic, ids] of byTopic) sent += await letters.redrive(topic, { ids, consumer: selection.consumer });
  return sent;
};
