import type { DealEvent, RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';

/** The deals read model: one row per deal, and how long it stood in each stage it left. */
export const DEALS_PROJECTION = 'deals';

const tables = {
  deals: {
    columns: {
      id: 'uuid',
      customer_id: 'uuid',
      pipeline_id: 'uuid',
      stage_id: 'text',
      probability: 'integer',
      name: 'text',
      name_key: 'text',
      // numeric: amounts stay exact, and sums are PostgreSQL's.
      amount: 'numeric',
      currency: 'text',
      expected_close_date: 'date',
      owner_id: 'uuid',
      account_id: 'uuid',
      lines: 'jsonb',
      lead_id: 'uuid',
      source: 'text',
      status: 'text',
      opened_at: 'timestamptz',
      stage_entered_at: 'timestamptz',
      closed_at: 'timestamptz',
      close_reason: 'text',
      order_id: 'uuid',
      updated_at: 'timestamptz',
      revision: { type: 'bigint', default: '0' },
    },
    primaryKey: ['id'],
    indexes: [['name_key'], ['customer_id'], ['pipeline_id', 'stage_id'], ['owner_id'], ['account_id'], ['status'], ['opened_at'], ['expected_close_date']],
  },
  /** One row per stage a deal left (moved on, won or lost), with the time it stood there. */
  deal_stage_history: {
    columns: { deal_id: 'uuid', revision: 'bigint', stage_id: 'text', seconds_in_stage: 'bigint', left_at: 'timestamptz', outcome: 'text' },
    primaryKey: ['deal_id', 'revision'],
  },
} as const;

const changesOf = (event: DealEvent, revision: number, recordedAt: string): RowChange[] => {
  const key = { id: event.data.dealId };
  const touched: RowChange = { table: 'deals', key, max: { revision, updated_at: recordedAt } };
  const left = (stageId: string, seconds: number, at: string, outcome: string): RowChange => ({
    table: 'deal_stage_history',
    key: { deal_id: event.data.dealId, revision },
    set: { stage_id: stageId, seconds_in_stage: seconds, left_at: at, outcome },
  });
  switch (event.type) {
    case 'DealOpened': {
      const d = event.data;
      return [
        {
          table: 'deals',
          key,
          set: {
            customer_id: d.customerId,
            pipeline_id: d.pipelineId,
            stage_id: d.stageId,
            probability: d.probability,
            name: d.name,
            name_key: d.name.toLowerCase(),
            amount: d.amount,
            currency: d.currency,
            expected_close_date: d.expectedCloseDate ?? null,
            owner_id: d.ownerId ?? null,
            account_id: d.accountId ?? null,
            lines: JSON.stringify(d.lines),
            lead_id: d.leadId ?? null,
            source: d.source ?? null,
            status: 'open',
            opened_at: d.openedAt,
            stage_entered_at: d.openedAt,
          },
        },
        touched,
      ];
    }
    case 'DealChanged': {
      const d = event.data;
      const set: Record<string, string | null> = {};
      if (d.name !== undefined) Object.assign(set, { name: d.name, name_key: d.name.toLowerCase() });
      if (d.amount !== undefined) set.amount = d.amount;
      if (d.currency !== undefined) set.currency = d.currency;
      if (d.expectedCloseDate !== undefined) set.expected_close_date = d.expectedCloseDate;
      if (d.ownerId !== undefined) set.owner_id = d.ownerId;
      if (d.accountId !== undefined) set.account_id = d.accountId;
      if (d.lines !== undefined) set.lines = JSON.stringify(d.lines);
      return [{ table: 'deals', key, set }, touched];
    }
    case 'DealStageMoved': {
      const d = event.data;
      return [
        { table: 'deals', key, set: { stage_id: d.to, probability: d.probability, stage_entered_at: d.movedAt } },
        left(d.from, d.secondsInStage, d.movedAt, 'moved'),
        touched,
      ];
    }
    case 'DealWon': {
      const d = event.data;
      return [
        { table: 'deals', key, set: { status: 'won', closed_at: d.wonAt, close_reason: d.reason ?? null, order_id: d.orderId } },
        left(d.stageId, d.secondsInStage, d.wonAt, 'won'),
        touched,
      ];
    }
    case 'DealLost': {
      const d = event.data;
      return [{ table: 'deals', key, set: { status: 'lost', closed_at: d.lostAt, close_reason: d.reason } }, left(d.stageId, d.secondsInStage, d.lostAt, 'lost'), touched];
    }
    case 'DealReopened': {
      const d = event.data;
      return [
        { table: 'deals', key, set: { status: 'open', stage_id: d.stageId, probability: d.probability, stage_entered_at: d.reopenedAt, closed_at: null, close_reason: null, order_id: null } },
        touched,
      ];
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const dealsProjection = defineProjection<RowProjection<typeof tables>>({
  name: DEALS_PROJECTION,
  version: 1,
  categories: ['deal'],
  eventTypes: ['DealOpened', 'DealChanged', 'DealStageMoved', 'DealWon', 'DealLost', 'DealReopened'],
  tables,
  project: (event: RecordedEvent): RowChange[] =>
    changesOf(event as unknown as DealEvent, event.revision, event.recordedAt instanceof Date ? event.recordedAt.toISOString() : String(event.recordedAt)),
});
