// Launcher for tools/bench/src/eventstore/open-cpu.ts: `node tools/bench/open-cpu.js [events] [ballast MB]`.
require('./launch').launch('./src/eventstore/open-cpu.ts', [100_000, 0]);
