export * from './ingest-payloads';
export * from './ingest-message';
export * from './cdnow';
