export * from './postgres/test-database';
export * from './decider/decider-spec';
export * from './postgres/disposable-postgres';
export * from './kafka';
export * from './process/spawn-ts-process';
export * from './net/free-port';
export * from './datasets/cdnow';
export * from './world/test-world';
