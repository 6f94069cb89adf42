/**
 * `npm run bench [-- name...] [options]`: runs the named benches (all when none is named) and
 * prints one JSON line per figure on stdout; progress goes to stderr. Through tools/bench/run.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Command, InvalidArgumentError } from 'commander';
import { defaultServerUrl } from './database';
import { DEFAULT_RESULTS_DIR } from './paths';
import { registeredBenches } from './registry';
import { loadBenches, runBenches, runPendingCleanups, selectBenches, UnknownBenchError } from './runner';

const positiveInt = (value: string): number => {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

interface CliOptions {
  quick: boolean;
  events?: number;
  batchEvents?: number;
  batchSize?: number;
  pageSize?: number;
  concurrency?: number;
  rounds?: number;
  grow?: number;
  statements?: number | true;
  peer: boolean;
  databaseUrl: string;
  results: string | false;
  list: boolean;
}

/** Set by SIGINT/SIGTERM: the cleanups under way, after which the process exits. */
let stopping: Promise<void> | undefined;

/** In a bench's own process (see runEachInItsOwnProcess): the one bench of the command line it runs. */
const OWN_PROCESS_BENCH = 'CLIENTELA_BENCH_ONLY';
/** The bench process under way, which a signal is passed on to. */
let child: ChildProcess | undefined;

class BenchProcessError extends Error {}

/**
 * Runs each bench in a process of its own, one after another, with this command line: a bench
 * then starts on a fresh heap, so its peak RSS and garbage collection are its own, not partly
 * what the benches before it left. Stops at the first that fails. The child is its own process
 * group, so a terminal's Ctrl-C reaches this process only, which passes it on and waits for the
 * child's cleanups (its databases dropped).
 */
const runEachInItsOwnProcess = async (names: readonly string[]): Promise<void> => {
  for (const name of names) {
    const code = await new Promise<number>((resolve, reject) => {
      child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        stdio: 'inherit',
        detached: true,
        env: { ...process.env, [OWN_PROCESS_BENCH]: name },
      });
      child.once('error', reject);
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
    });
    child = undefined;
    if (code !== 0) throw new BenchProcessError(`bench ${name} ended with code ${code}`);
  }
};

const main = async (): Promise<void> => {
  await loadBenches();
  const program = new Command('bench')
    .description('Clientela benchmarks: each of our figures beside its limit (and peer), measured in the same run.')
    .argument('[names...]', `benches to run (default: all): ${registeredBenches().map((b) => b.name).join(', ')}`)
    .option('--quick', 'a tiny run, for smoke tests', false)
    .option('--events <n>', 'main size (eventstore: events appended one by one; default 20000, quick 200)', positiveInt)
    .option('--batch-events <n>', 'eventstore: events appended in batches (default 10 x --events)', positiveInt)
    .option('--batch-size <n>', 'eventstore: events per batch append (default 100)', positiveInt)
    .option('--page-size <n>', 'eventstore: events per read page (default 1000)', positiveInt)
    .option('--concurrency <n>', 'concurrent writers (default 8)', positiveInt)
    .option('--rounds <n>', 'eventstore, projections, kafka, analytics: measured rounds of each phase, contenders interleaved (default 5, quick 1)', positiveInt)
    .option('--grow <n>', 'eventstore: events put into each store before measuring, e.g. 5000000', positiveInt)
    .option('--no-peer', 'skip the peer implementations')
    .option('--statements [n]', "after each bench, its databases' top n statements by time in the server (default 15; needs pg_stat_statements)", positiveInt)
    .option('--database-url <url>', 'server to make the bench databases on (DATABASE_URL, else local)', defaultServerUrl())
    .option('--results <dir>', 'directory the result lines are appended to', DEFAULT_RESULTS_DIR)
    .option('--no-results', 'append the lines to no file')
    .option('--list', 'list the benches and exit', false)
    .showHelpAfterError();
  program.parse();
  const names = program.args;
  const options = program.opts<CliOptions>();
  if (options.list) {
    for (const bench of registeredBenches()) console.log(`${bench.name}\t${bench.description}`);
    return;
  }
  const stop = (signal: NodeJS.Signals): void => {
    const running = child;
    if (running) {
      process.stderr.write(`bench: ${signal}, passed on to the bench under way\n`);
      stopping = new Promise<void>((resolve) => running.once('exit', () => resolve())).finally(() => process.exit(130));
      running.kill(signal);
      return;
    }
    process.stderr.write(`bench: ${signal}, dropping the bench databases\n`);
    stopping = runPendingCleanups().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = Date.now();
  const only = process.env[OWN_PROCESS_BENCH];
  const selected = only === undefined ? (await selectBenches(names)).map((bench) => bench.name) : [only];
  if (selected.length > 1) {
    await runEachInItsOwnProcess(selected);
  } else {
    await runBenches({
      names: selected,
      resultsDir: options.results,
      options: {
        quick: options.quick,
        serverUrl: options.databaseUrl,
        events: options.events,
        batchEvents: options.batchEvents,
        batchSize: options.batchSize,
        pageSize: options.pageSize,
        concurrency: options.concurrency,
        rounds: options.rounds,
        grow: options.grow,
        statements: options.statements === true ? 15 : options.statements,
        peer: options.peer,
      },
    });
  }
  process.stderr.write(`bench: finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
};

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    if (stopping) return stopping; // interrupted: the work failed because its connections were closed
    const detail =
      error instanceof UnknownBenchError || error instanceof BenchProcessError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`bench failed: ${detail}\n`);
    process.exit(1);
  },
);
