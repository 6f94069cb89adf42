import type { LogEntry, TopicMessages } from 'kafkajs';

/** From the relay to its producer thread. */
export type ProducerThreadRequest =
  | { kind: 'send'; id: number; topicMessages: TopicMessages[] }
  /** Connects the producer ahead of the first send (answered as a send is). */
  | { kind: 'connect'; id: number }
  | { kind: 'disconnect' };

/** From the producer thread to the relay. */
export type ProducerThreadAnswer =
  | { kind: 'ready' }
  /** The send or connect of that id succeeded. */
  | { kind: 'sent'; id: number }
  | { kind: 'failed'; id: number; error: { name: string; message: string } }
  | { kind: 'disconnected' }
  | { kind: 'log'; entry: LogEntry };
