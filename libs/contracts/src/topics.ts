import { categoryOf, type StreamId } from './stream-id';

/** The bounded contexts that publish their events to Kafka. */
export const Contexts = ['contacts', 'sales', 'campaigns', 'contact-center', 'analytics'] as const;
export type Context = (typeof Contexts)[number];

export const contextTopic = (context: Context): string => `clientela.${context}.events`;
export const INGEST_TOPIC = 'clientela.ingest.v1';
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;

/**
 * Which context owns the streams of a category, so the relay knows the topic of an event.
 * `activity-` streams hold ingested activity of known customers, which contacts writes;
 * `identifier-` streams (who claims a normalised email, phone or external id) and
 * `contactDuplicate-` streams (likely duplicate pairs) are identity resolution's, in contacts;
 * `contactImport-` streams are the CSV import jobs of contacts.
 */
export const DefaultCategoryContexts: Readonly<Record<string, Context>> = {
  contact: 'contacts',
  account: 'contacts',
  lead: 'contacts',
  activity: 'contacts',
  customFieldSet: 'contacts',
  identifier: 'contacts',
  contactDuplicate: 'contacts',
  contactImport: 'contacts',
  deal: 'sales',
  pipeline: 'sales',
  salesRep: 'sales',
  salesTeam: 'sales',
  order: 'sales',
  campaign: 'campaigns',
  case: 'contact-center',
  customerSegment: 'analytics',
  customerLoyalty: 'analytics',
};

/** The context of a stream, or undefined when its category belongs to none (it is not published). */
export const contextOfStream = (
  streamId: StreamId,
  categories: Readonly<Record<string, Context>> = DefaultCategoryContexts,
): Context | undefined => (Object.hasOwn(categories, categoryOf(streamId)) ? categories[categoryOf(streamId)] : undefined);

/** The Kafka key of an event: its customer, so one customer's events stay in order; else its stream. */
export const messageKeyOf = (event: { streamId: StreamId; data: unknown }): string => {
  const data = event.data;
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const customerId = (data as Record<string, unknown>).customerId;
    if (typeof customerId === 'string' && customerId !== '') return customerId;
  }
  return event.streamId;
};
