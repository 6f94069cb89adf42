// Launcher for tools/bench/src/profile-summary.ts: `node tools/bench/profile-summary.js <file.cpuprofile>... [--top N] [--by file]`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/profile-summary.ts').main(process.argv.slice(2));
