/** The bounded contexts that publish their events to Kafka. */
export const Contexts = ['contacts', 'sales', 'campaigns', 'contact-center'] as const;
export type Context = (typeof Contexts)[number];

export const contextTopic = (context: Context): string => `clientela.${context}.events`;
export const INGEST_TOPIC = 'clientela.ingest.v1';
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;
