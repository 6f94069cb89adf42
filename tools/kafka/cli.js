// Launcher for the TypeScript CLI (tools/kafka/src/cli.ts): `node tools/kafka/cli.js --help`.
require('@swc-node/register');
require('./src/cli.ts');
