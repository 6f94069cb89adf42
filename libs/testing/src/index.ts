export * from './postgres/test-database';
export * from './decider/decider-spec';
