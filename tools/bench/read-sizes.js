// Launcher for tools/bench/src/eventstore/read-sizes.ts: `node tools/bench/read-sizes.js [events] [more plain events] [rounds]`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/eventstore/read-sizes.ts')
  .main(Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 0), Number(process.argv[4] ?? 4))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
