// Launcher for the TypeScript bench CLI (tools/bench/src/cli.ts): `npm run bench [-- name...] [options]`.
// The bench's tsconfig turns on the decorators its payload classes need, whatever the working directory.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/cli.ts');
