// Launcher for tools/bench/src/eventstore/sealing-cpu.ts: `node tools/bench/sealing-cpu.js [events]`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/eventstore/sealing-cpu.ts')
  .main(Number(process.argv[2] ?? 40_000))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
