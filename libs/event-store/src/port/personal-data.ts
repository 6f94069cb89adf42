import type { RecordedEvent } from '@clientela/contracts';
import type { PreparedEvent } from './prepare-append';

/**
 * Crypto-shredding at the store (libs/personal-data implements it): both adapters seal the
 * personal fields of what they write, after validation, and open what they read, before upcasting.
 * Raw reads (the relay, the CLI's export) give events as stored: sealed.
 */
export interface PersonalDataCodec {
  /** The appends' events with their personal fields sealed; same shape and order. */
  seal(appends: ReadonlyArray<{ streamId: string; events: readonly PreparedEvent[] }>): Promise<PreparedEvent[][]>;
  /** Whether the event, as stored, holds sealed personal fields. */
  isSealed(event: RecordedEvent): boolean;
  /** The events with their personal fields opened (or erased); same order. */
  open(events: readonly RecordedEvent[]): Promise<RecordedEvent[]>;
  /**
   * `open`, with each event's decryption put off until a personal field is first read (a reader
   * that reads none never pays for it); tampering is found there. What the stores' reads use when
   * the codec has it, on events they have just decoded: it may put the opened data in them.
   */
  openOnAccess?(events: readonly RecordedEvent[]): Promise<RecordedEvent[]>;
}

/** Opens (on access, where the codec can) then upcasts what an adapter read, unless the caller asked for events as stored. */
export const decodeStoredEvents = async (
  events: RecordedEvent[],
  raw: boolean,
  personalData: PersonalDataCodec | undefined,
  upcast: (event: RecordedEvent) => RecordedEvent,
): Promise<RecordedEvent[]> => {
  if (raw || events.length === 0) return events;
  const opened = !personalData ? events : personalData.openOnAccess ? await personalData.openOnAccess(events) : await personalData.open(events);
  return opened.map(upcast);
};
