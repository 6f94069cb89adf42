// `@clientela/projections/testing`: given/then for projections (projectionSpec, beside deciderSpec),
// the sample orders projection and its events, and read-model helpers. Test code only.
export * from './projection-spec';
export * from './sample-orders';
export * from './read-model';
