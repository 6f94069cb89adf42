import type { LogEntry, TopicMessages } from 'kafkajs';

/** From the relay to its producer thread. */
export type ProducerThreadRequest = { kind: 'send'; id: number; topicMessages: TopicMessages[] } | { kind: 'disconnect' };

/** From the producer thread to the relay. */
export type ProducerThreadAnswer =
  | { kind: 'ready' }
  | { kind: 'sent'; id: number }
  | { kind: 'failed'; id: number; error: { name: string; message: string } }
  | { kind: 'disconnected' }
  | { kind: 'log'; entry: LogEntry };
