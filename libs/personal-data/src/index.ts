export * from './errors';
export * from './master-keys';
export { ERASED_TEXT, SEALED_FIELD, isSealed, sealedSubjectOf, subjectOf, type SealedPersonalData, type DataKey } from './sealed-fields';
export * from './data-keys';
export * from './personal-data-protection';
export { SealingWorker, SEAL_IN_WORKER_FROM } from './sealing-worker';
