import { nameBasedUuid, type CustomerSegmentChangedPayload, type RfmSegment, type StreamId } from '@clientela/contracts';

/** A customer's RFM on the day, beside what was last published for it. */
export interface SegmentState {
  customerId: string;
  segment: RfmSegment;
  recencyScore: number;
  frequencyScore: number;
  monetaryScore: number;
  /** The segment last published; undefined: none yet. */
  published?: RfmSegment;
  /** Its stream's revision; undefined: no stream yet. */
  revision?: number;
}

export interface SegmentChange {
  streamId: StreamId;
  expectedRevision: number | 'no_stream';
  event: { id: string; type: 'CustomerSegmentChanged'; data: CustomerSegmentChangedPayload };
}

// Fixed namespace of the change ids: a day computed twice names the same events, so the store answers
// the second run as duplicates.
const CHANGE_NAMESPACE = '5b0f6f2e-4d4b-4d1e-9a57-0c3f2a6c8e11';

export const segmentStream = (customerId: string): StreamId => `customerSegment-${customerId}` as StreamId;

/** The events of one day's run: one per customer whose segment is not the one last published. Pure. */
export const planSegmentChanges = (states: Iterable<SegmentState>, asOf: string, currency: string): SegmentChange[] => {
  const changes: SegmentChange[] = [];
  for (const s of states) {
    if (s.segment === s.published) continue;
    const data: CustomerSegmentChangedPayload = {
      customerId: s.customerId,
      ...(s.published ? { from: s.published } : {}),
      to: s.segment,
      asOf,
      currency,
      recencyScore: s.recencyScore,
      frequencyScore: s.frequencyScore,
      monetaryScore: s.monetaryScore,
    };
    changes.push({
      streamId: segmentStream(s.customerId),
      expectedRevision: s.revision ?? 'no_stream',
      event: { id: nameBasedUuid(`${s.customerId}|${currency}|${asOf}`, CHANGE_NAMESPACE), type: 'CustomerSegmentChanged', data },
    });
  }
  return changes;
};
