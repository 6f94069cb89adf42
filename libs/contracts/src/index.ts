export * from './errors';
export * from './envelope';
export * from './position';
export * from './stream-id';
export * from './personal-data';
export * from './catalogue';
export * from './topics';
export * from './decider';
