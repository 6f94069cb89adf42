export * from './service-process';
export * from './embedded-postgres';
export * from './launcher-config';
export * from './platform-process';
