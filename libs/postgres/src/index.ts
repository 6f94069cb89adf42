export * from './connection-errors';
export * from './with-transaction';
export * from './migrations';
export * from './ensure-database';
export * from './backoff';
