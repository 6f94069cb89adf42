import type { CustomerSegmentChangedPayload, RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';
import { timelineRow, timelineTable } from '../customer-view/timeline';

/**
 * The segment each customer was last published in (per currency), and its stream's revision: what the
 * next run of segment changes compares against and appends after.
 */
export const SEGMENTS_PROJECTION = 'analytics_segments';

const tables = {
  current_segments: {
    columns: { customer_id: 'uuid', currency: 'text', segment: 'text', as_of: 'date' },
    primaryKey: ['customer_id', 'currency'],
  },
  segment_streams: {
    columns: { customer_id: 'uuid', revision: 'bigint' },
    primaryKey: ['customer_id'],
  },
  timeline: timelineTable,
} as const;

export const segmentsProjection = defineProjection<RowProjection<typeof tables>>({
  name: SEGMENTS_PROJECTION,
  // 2: the customer timeline's segment changes.
  version: 2,
  categories: ['customerSegment'],
  eventTypes: ['CustomerSegmentChanged'],
  tables,
  project: (event: RecordedEvent): RowChange[] => {
    if (event.type !== 'CustomerSegmentChanged') return [];
    const d = event.data as unknown as CustomerSegmentChangedPayload;
    return [
      { table: 'current_segments', key: { customer_id: d.customerId, currency: d.currency }, set: { segment: d.to, as_of: d.asOf } },
      { table: 'segment_streams', key: { customer_id: d.customerId }, max: { revision: event.revision } },
      timelineRow(event, { customerId: d.customerId }, 'analytics', undefined),
    ];
  },
});
