import type { Latencies } from '../measure';
import type { StreamWork } from './orders';

/** One implementation under test: ours, the plain-table limit, or the peer. */
export interface Contender {
  readonly name: string;
  /** Appends the stream's events one call each: the first expecting no stream, then the revision it got. */
  appendOneByOne(work: StreamWork, latencies: Latencies): Promise<void>;
  /** Appends all the stream's events in one call, expecting no stream. */
  appendBatch(work: StreamWork, latencies: Latencies): Promise<void>;
  /**
   * Appends one event into each of many new streams, all in one call, expecting no streams
   * (`eventstore.append.multi`). Absent where the contender has no such call (the peer).
   */
  appendToStreams?(call: readonly StreamWork[], latencies: Latencies): Promise<void>;
  /**
   * Reads everything this run appended (everything, unless the store was grown) in global order,
   * `pageSize` per round trip; stops early after `maxEvents`.
   */
  readAll(pageSize: number, maxEvents?: number): Promise<number>;
  /**
   * Puts `events` events into the store by bulk SQL (not measured; 10 per stream), so that the
   * figures show the speed of a store that size; the reads then start after them.
   */
  grow?(events: number): Promise<void>;
  /** Switches on what this contender needs of the process (the peer's pg type parsers)... */
  activate(): void;
  /** ...and back off, for the next contender. */
  deactivate(): void;
  close(): Promise<void>;
}
