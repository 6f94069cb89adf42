// Launcher for tools/bench/src/benches/analytics/view-sections.ts: `node tools/bench/view-sections.js [orders] [calls] [rounds]`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/benches/analytics/view-sections.ts')
  .main(Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 1_000), Number(process.argv[4] ?? 5))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
