// What the one-off tools' launchers share: the bench's tsconfig for the TypeScript they load (its payload
// classes need decorators, whatever the working directory), then the tool's `main` with the command line's
// positional numbers (each missing one its default) and any further arguments, a failure printed with the
// exit code set.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, 'tsconfig.json');
require('@swc-node/register');

/** Runs `main(...numbers, ...more)` of the module at `path` (relative to tools/bench). */
exports.launch = (path, defaults, more = []) => {
  const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  Promise.resolve()
    .then(() => require(path).main(...defaults.map((fallback, i) => Number(args[i] ?? fallback)), ...more))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
};
