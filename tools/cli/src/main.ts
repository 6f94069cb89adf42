import 'reflect-metadata';
import { CommanderError } from 'commander';
import { isClientelaError } from '@clientela/contracts';
import { ConfigError } from '@clientela/platform/src/config/platform-config';
import { buildProgram } from './program';
import { GatewayProblemError } from './target';
import { UsageError } from './usage-error';

/** Runs one command line; resolves to the exit code. Failures say what went wrong on stderr, never as a stack. */
export const run = async (argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr, env = process.env): Promise<number> => {
  const { program, cli } = buildProgram(out, err, env);
  program.exitOverride();
  program.commands.forEach(function override(command): void {
    command.exitOverride();
    command.commands.forEach(override);
  });
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      err.write(`clientela: ${error.message}\n(add --help for usage)\n`);
      return 2;
    }
    if (error instanceof ConfigError) err.write(`clientela: the configuration is wrong:\n${error.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    else if (isClientelaError(error) || error instanceof GatewayProblemError) err.write(`clientela: ${error.message}\n`);
    else err.write(`clientela: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await cli.close();
  }
};

/** The `clientela` bin: runs process.argv and exits with its code. */
export const main = (): void => {
  // A reader that goes away (`| head`) ends the output, not with an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  void run(process.argv).then((code) => process.exit(code));
};
