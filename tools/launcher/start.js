// `npm start`: runs the TypeScript launcher (tools/launcher/src/cli.ts) without a build step.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');
require('./src/cli.ts');
