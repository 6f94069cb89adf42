// Launcher for tools/bench/src/benches/analytics/view-sections.ts: `node tools/bench/view-sections.js [orders] [calls] [rounds]`.
require('./launch').launch('./src/benches/analytics/view-sections.ts', [20_000, 1_000, 5]);
