export * from './http/problem-details';
export * from './config/platform-config';
export * from './health/readiness';
export * from './health/health.module';
export * from './logging/logger';
export * from './logging/url-for-log';
export * from './http/request-ids';
export * from './process/run-until-stopped';
