export * from './boot-test-service';
export * from './bad-input';
// The pure specs of a service's slices, from one place: deciders (given events, when a command) and
// projections (given events, then rows).
export { deciderSpec } from '@clientela/testing';
export { projectionSpec, projectInMemory, type GivenEvent } from '@clientela/projections/testing';
