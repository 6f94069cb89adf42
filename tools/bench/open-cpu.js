// Launcher for tools/bench/src/eventstore/open-cpu.ts: `node tools/bench/open-cpu.js [events] [ballast MB]`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/eventstore/open-cpu.ts')
  .main(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 0))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
