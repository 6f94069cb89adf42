export * from './bootstrap/service-definition';
export * from './bootstrap/service-kit.module';
export * from './bootstrap/service-runtime';
export * from './bootstrap/create-service-app';
export * from './bootstrap/bootstrap-service';
export * from './infrastructure/service-infrastructure';
// Moved to @clientela/postgres; re-exported so that existing imports keep working.
export { ensureDatabase } from '@clientela/postgres';
export * from './commands/aggregates';
export * from './commands/write-request';
export * from './http/request-context';
export * from './http/service-adapter';
export * from './http/validation';
export * from './http/http-metrics';
export * from './http/openapi';
export * from './lists/list-query';
export * from './lists/csv';
export * from './read-models/column-transformers';
