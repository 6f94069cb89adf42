// Launcher for tools/bench/src/eventstore/append-cpu.ts: `node tools/bench/append-cpu.js [events] [batch size] [--no-peer]`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
require('./src/eventstore/append-cpu.ts')
  .main(Number(args[0] ?? 20_000), Number(args[1] ?? 100), !process.argv.includes('--no-peer'))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
