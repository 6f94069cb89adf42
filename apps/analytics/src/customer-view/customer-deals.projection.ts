import type { DealChangedPayload, DealLostPayload, DealOpenedPayload, DealReopenedPayload, DealStageMovedPayload, DealWonPayload, RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection, type Scalar } from '@clientela/projections';
import { customerChanged, customerChangesTable } from './customer-changes';
import { interaction, interactionsTable, timelineRow, timelineTable } from './timeline';

/**
 * The sales context's deals in the single customer view: each deal's current state (the view lists
 * the open ones), the customer's last sales interaction, and the timeline of deal events. Orders and
 * refunds come from the purchases read model, which already holds one row per order and per refund.
 */
export const CUSTOMER_DEALS_PROJECTION = 'analytics_customer_deals';

const tables = {
  deals: {
    columns: {
      deal_id: 'uuid',
      customer_id: 'uuid',
      name: 'text',
      pipeline_id: 'uuid',
      stage_id: 'text',
      probability: 'integer',
      amount: 'numeric',
      currency: 'text',
      owner_id: 'uuid',
      expected_close_date: 'date',
      /** open, won or lost. */
      status: 'text',
      opened_at: 'timestamptz',
      closed_at: 'timestamptz',
      updated_at: 'timestamptz',
    },
    primaryKey: ['deal_id'],
    indexes: [['customer_id']],
  },
  interactions: interactionsTable,
  timeline: timelineTable,
  customer_changes: customerChangesTable,
} as const;

const utc = (iso: string): string => new Date(iso).toISOString();

const dealRow = (dealId: string, set: Record<string, Scalar>): RowChange => ({ table: 'deals', key: { deal_id: dealId }, set });

/** The deal's row change and the time the event happened. */
const dealChange = (event: RecordedEvent): { change: RowChange; at: string } | undefined => {
  switch (event.type) {
    case 'DealOpened': {
      const d = event.data as unknown as DealOpenedPayload;
      return {
        at: d.openedAt,
        change: dealRow(d.dealId, {
          customer_id: d.customerId,
          name: d.name,
          pipeline_id: d.pipelineId,
          stage_id: d.stageId,
          probability: d.probability,
          amount: d.amount,
          currency: d.currency,
          owner_id: d.ownerId ?? null,
          expected_close_date: d.expectedCloseDate ?? null,
          status: 'open',
          opened_at: d.openedAt,
          closed_at: null,
          updated_at: d.openedAt,
        }),
      };
    }
    case 'DealChanged': {
      const d = event.data as unknown as DealChangedPayload;
      const set: Record<string, Scalar> = { updated_at: d.changedAt };
      if (d.name !== undefined) set.name = d.name;
      if (d.amount !== undefined) set.amount = d.amount;
      if (d.currency !== undefined) set.currency = d.currency;
      if (d.ownerId !== undefined) set.owner_id = d.ownerId;
      if (d.expectedCloseDate !== undefined) set.expected_close_date = d.expectedCloseDate;
      return { at: d.changedAt, change: dealRow(d.dealId, set) };
    }
    case 'DealStageMoved': {
      const d = event.data as unknown as DealStageMovedPayload;
      return { at: d.movedAt, change: dealRow(d.dealId, { stage_id: d.to, probability: d.probability, updated_at: d.movedAt }) };
    }
    case 'DealWon': {
      const d = event.data as unknown as DealWonPayload;
      return { at: d.wonAt, change: dealRow(d.dealId, { status: 'won', amount: d.amount, currency: d.currency, closed_at: d.wonAt, updated_at: d.wonAt }) };
    }
    case 'DealLost': {
      const d = event.data as unknown as DealLostPayload;
      return { at: d.lostAt, change: dealRow(d.dealId, { status: 'lost', closed_at: d.lostAt, updated_at: d.lostAt }) };
    }
    case 'DealReopened': {
      const d = event.data as unknown as DealReopenedPayload;
      return { at: d.reopenedAt, change: dealRow(d.dealId, { status: 'open', stage_id: d.stageId, probability: d.probability, closed_at: null, updated_at: d.reopenedAt }) };
    }
    default:
      return undefined;
  }
};

export const customerDealsProjection = defineProjection<RowProjection<typeof tables>>({
  name: CUSTOMER_DEALS_PROJECTION,
  // 2: the view's change counters.
  version: 2,
  categories: ['deal'],
  eventTypes: ['DealOpened', 'DealChanged', 'DealStageMoved', 'DealWon', 'DealLost', 'DealReopened'],
  tables,
  project: (event: RecordedEvent): RowChange[] => {
    const deal = dealChange(event);
    if (!deal) return [];
    const customerId = (event.data as { customerId: string }).customerId;
    return [deal.change, interaction(customerId, 'sales', utc(deal.at)), customerChanged(customerId), timelineRow(event, { customerId }, 'sales', deal.at)];
  },
});
