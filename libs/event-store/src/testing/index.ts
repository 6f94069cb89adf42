// `@clientela/event-store/testing`: what tests of the event store and of the libraries above it
// share. Test code only: it is not part of the package's build.
export * from './event-store.contract';
export * from './wait-until-readable';
export * from './sample-deal.decider';
export * from './test-events';
