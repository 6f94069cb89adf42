// Launcher for tools/bench/src/eventstore/append-cpu.ts: `node tools/bench/append-cpu.js [events] [batch size] [--no-peer]`.
require('./launch').launch('./src/eventstore/append-cpu.ts', [20_000, 100], [!process.argv.includes('--no-peer')]);
