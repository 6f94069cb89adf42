export * from './registry';
export * from './runner';
export * from './measure';
export { createBenchDatabase, defaultServerUrl, type BenchDatabase } from './database';
export { DEFAULT_RESULTS_DIR, REPO_ROOT } from './paths';
export { eventStoreSizes, type EventStoreSizes } from './eventstore/bench';
