// Launcher for tools/bench/src/projections/plan-cpu.ts: `node tools/bench/plan-cpu.js [events] [batch]`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/projections/plan-cpu.ts').main(Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 2_000));
