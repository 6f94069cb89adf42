// Launcher for tools/bench/src/projections/plan-cpu.ts: `node tools/bench/plan-cpu.js [events] [batch]`.
require('./launch').launch('./src/projections/plan-cpu.ts', [200_000, 2_000]);
