import type { LogEntry, TopicMessages } from 'kafkajs';
import type { SendMode } from './send-order';

/** From the relay to its producer thread. */
export type ProducerThreadRequest =
  /** Sent one at a time in the order posted; see SendOrder for `mode`. */
  | { kind: 'send'; id: number; mode: SendMode; topicMessages: TopicMessages[] }
  /** Connects the producer ahead of the first send (answered as a send is). */
  | { kind: 'connect'; id: number }
  | { kind: 'disconnect' };

/** From the producer thread to the relay. */
export type ProducerThreadAnswer =
  | { kind: 'ready' }
  /** The send or connect of that id succeeded. */
  | { kind: 'sent'; id: number }
  | { kind: 'failed'; id: number; error: { name: string; message: string } }
  /** The send of that id was not sent: one before it failed (SendOrder). */
  | { kind: 'refused'; id: number }
  | { kind: 'disconnected' }
  | { kind: 'log'; entry: LogEntry };
