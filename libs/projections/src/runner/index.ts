export { ProjectionRunner, rebuildProgress, type ProjectionRunnerOptions, type ProjectionStatusName } from './projection-runner';
export { LocalProjectionWrites } from './local-writes';
