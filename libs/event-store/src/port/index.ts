export * from './event-store';
export * from './errors';
export * from './prepare-append';
export * from './event-content';
export * from './event-filter';
export * from './personal-data';
