#!/usr/bin/env node
// `npx clientela`: runs the TypeScript CLI (tools/cli/src/main.ts) without a build step, or the
// compiled one where it sits beside it (the container image, deploy/Dockerfile).
// Not through @swc-node/register as `npm start` runs the launcher: that one loads the TypeScript compiler
// to read tsconfig.json (~55 MiB resident), and `clientela events` must stream a million events in
// under 200 MiB. @swc/core compiles each file with the options jest uses; workspace packages resolve
// through node_modules (their `main` is src/index.ts).
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

if (existsSync(join(__dirname, '..', 'src', 'main.js'))) {
  require('../src/main.js').main();
} else {
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
}
