#!/usr/bin/env node
// `npx clientela`: runs the TypeScript CLI (tools/cli/src/main.ts) without a build step.
// Not through @swc-node/register as `npm start` runs the launcher: that one loads the TypeScript compiler
// to read tsconfig.json (~55 MiB resident), and `clientela events` must stream a million events in
// under 200 MiB. @swc/core compiles each file with the options jest uses; workspace packages resolve
// through node_modules (their `main` is src/index.ts).
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

const options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
require('../src/main.ts').main();
