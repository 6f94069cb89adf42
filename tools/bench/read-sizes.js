// Launcher for tools/bench/src/eventstore/read-sizes.ts: `node tools/bench/read-sizes.js [events] [more plain events] [rounds]`.
require('./launch').launch('./src/eventstore/read-sizes.ts', [200_000, 0, 4]);
