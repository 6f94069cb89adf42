export * from './postgres-event-store';
export { migrate } from './migrate';
export { packPosition, unpackPosition } from './position-codec';
