// Launcher for tools/bench/src/eventstore/sealing-cpu.ts: `node tools/bench/sealing-cpu.js [events]`.
require('./launch').launch('./src/eventstore/sealing-cpu.ts', [40_000]);
