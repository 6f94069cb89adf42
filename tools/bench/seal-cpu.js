// Launcher for tools/bench/src/eventstore/seal-cpu.ts: `node tools/bench/seal-cpu.js [events]`.
require('./launch').launch('./src/eventstore/seal-cpu.ts', [100_000]);
