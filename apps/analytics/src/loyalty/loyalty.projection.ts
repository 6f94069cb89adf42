import type { CustomerChurnBandChangedPayload, CustomerLoyaltyTierChangedPayload, RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';
import { timelineRow, timelineTable } from '../customer-view/timeline';

/**
 * The loyalty tier and churn band each customer was last published in (per currency), and its
 * stream's revision: what the next run of loyalty changes compares against and appends after, and the
 * scores of the single customer view.
 */
export const LOYALTY_PROJECTION = 'analytics_loyalty';

const tables = {
  current_loyalty: {
    columns: {
      customer_id: 'uuid',
      currency: 'text',
      tier: 'text',
      tier_as_of: 'date',
      rolling_value: 'numeric',
      tenure_days: 'integer',
      churn_band: 'text',
      churn_risk: 'double precision',
      band_as_of: 'date',
    },
    primaryKey: ['customer_id', 'currency'],
  },
  loyalty_streams: {
    columns: { customer_id: 'uuid', revision: 'bigint' },
    primaryKey: ['customer_id'],
  },
  timeline: timelineTable,
} as const;

export const loyaltyProjection = defineProjection<RowProjection<typeof tables>>({
  name: LOYALTY_PROJECTION,
  version: 1,
  categories: ['customerLoyalty'],
  eventTypes: ['CustomerLoyaltyTierChanged', 'CustomerChurnBandChanged'],
  tables,
  project: (event: RecordedEvent): RowChange[] => {
    const stream: RowChange = { table: 'loyalty_streams', key: { customer_id: (event.data as { customerId: string }).customerId }, max: { revision: event.revision } };
    if (event.type === 'CustomerLoyaltyTierChanged') {
      const d = event.data as unknown as CustomerLoyaltyTierChangedPayload;
      return [
        { table: 'current_loyalty', key: { customer_id: d.customerId, currency: d.currency }, set: { tier: d.to, tier_as_of: d.asOf, rolling_value: d.rollingValue, tenure_days: d.tenureDays } },
        stream,
        timelineRow(event, { customerId: d.customerId }, 'analytics', undefined),
      ];
    }
    if (event.type === 'CustomerChurnBandChanged') {
      const d = event.data as unknown as CustomerChurnBandChangedPayload;
      return [
        { table: 'current_loyalty', key: { customer_id: d.customerId, currency: d.currency }, set: { churn_band: d.to, churn_risk: d.churnRisk, band_as_of: d.asOf } },
        stream,
        timelineRow(event, { customerId: d.customerId }, 'analytics', undefined),
      ];
    }
    return [];
  },
});
