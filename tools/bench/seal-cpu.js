// Launcher for tools/bench/src/eventstore/seal-cpu.ts: `node tools/bench/seal-cpu.js [events]`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/eventstore/seal-cpu.ts')
  .main(Number(process.argv[2] ?? 100_000))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
