import {
  AnalyticsEventDefinitions,
  ContactEventDefinitions,
  CustomerEventDefinitions,
  DealEventDefinitions,
  EventCatalogue,
  LeadEventDefinitions,
  type RecordedEvent,
} from '@clientela/contracts';
import type { RowChange, TableDefinition } from '@clientela/projections';

/**
 * Where an event happened, for the timeline's filter and the customer view's last interaction per
 * channel: the interaction channels of ingested activity, `commerce` for orders and refunds, `sales`
 * for deals, `crm` for changes to the contact and its leads, `analytics` for published scores.
 */
export const TIMELINE_CHANNELS = ['email', 'web', 'phone', 'social', 'commerce', 'sales', 'crm', 'analytics'] as const;
export type TimelineChannel = (typeof TIMELINE_CHANNELS)[number];

/**
 * The timeline table every customer projection keeps for the events it reads (one per context: a
 * projection follows one context's topic in Kafka mode). One row per event, keyed by its id, so an
 * event redelivered or read by a rebuild is still listed once. `data` is the payload without its
 * personal fields: the timeline holds no personal values, so erasure has nothing to scrub here.
 */
export const timelineTable = {
  columns: {
    event_id: 'uuid',
    /** The contact the event concerns; null for a lead's events before it was converted (then `lead_id`). */
    customer_id: 'uuid',
    lead_id: 'uuid',
    type: 'text',
    channel: 'text',
    occurred_at: 'timestamptz',
    /** The store position (unique): the tie-breaker among events of the same instant, and the cursor's id. */
    position: 'numeric',
    data: 'jsonb',
  },
  primaryKey: ['event_id'],
  indexes: [['customer_id', 'occurred_at'], ['lead_id']],
} as const satisfies TableDefinition;

/** Every event type the customer projections read, for their personal fields. */
const catalogue = new EventCatalogue([...ContactEventDefinitions, ...LeadEventDefinitions, ...CustomerEventDefinitions, ...DealEventDefinitions, ...AnalyticsEventDefinitions]);

/** The payload less its personal fields (names, emails, free text), as the timeline keeps it. */
export const withoutPersonalFields = (event: RecordedEvent): Record<string, unknown> => {
  const personal = catalogue.has(event.type) ? catalogue.personalFields(event.type) : [];
  return Object.fromEntries(Object.entries(event.data).filter(([field]) => !personal.includes(field)));
};

/** When it happened in the world: the payload's own time when it has one, else the metadata's, else when it was recorded. */
export const occurredAtOf = (event: RecordedEvent, at: string | undefined): string => at ?? event.metadata.occurredAt ?? event.recordedAt.toISOString();

export const timelineRow = (event: RecordedEvent, who: { customerId?: string; leadId?: string }, channel: TimelineChannel, at: string | undefined): RowChange => ({
  table: 'timeline',
  key: { event_id: event.id },
  set: {
    customer_id: who.customerId ?? null,
    lead_id: who.leadId ?? null,
    type: event.type,
    channel,
    occurred_at: occurredAtOf(event, at),
    position: event.position.toString(10),
    data: JSON.stringify(withoutPersonalFields(event)),
  },
});

/** The last interaction per channel: one row per customer and channel (the view takes the latest of a merged customer's). */
export const interactionsTable = {
  columns: { customer_id: 'uuid', channel: 'text', last_at: 'timestamptz', events: { type: 'bigint', default: '0' } },
  primaryKey: ['customer_id', 'channel'],
} as const satisfies TableDefinition;

export const interaction = (customerId: string, channel: TimelineChannel, at: string): RowChange => ({
  table: 'interactions',
  key: { customer_id: customerId, channel },
  max: { last_at: at },
  add: { events: 1 },
});
