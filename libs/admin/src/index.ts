export * from './connections';
export * from './streams';
export * from './projections';
export * from './replay';
export * from './dead-letters';
