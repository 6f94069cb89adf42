import { appendFileSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { createBenchDatabase } from './database';
import { DEFAULT_RESULTS_DIR } from './paths';
import { databaseOid, formatStatements, readStatements } from './statements';
import { registeredBenches, type BenchContext, type BenchDefinition, type BenchLine, type BenchOptions } from './registry';

const BENCH_FILE = /^[a-z][a-z0-9-]*\.bench\.ts$/;
let loaded: Promise<void> | undefined;

/** Loads every src/benches/<name>.bench.ts: adding a bench is adding one such file. */
export const loadBenches = (): Promise<void> => {
  loaded ??= (async () => {
    const dir = path.join(__dirname, 'benches');
    for (const file of readdirSync(dir).filter((name) => BENCH_FILE.test(name)).sort()) {
      await import(path.join(dir, file));
    }
  })();
  return loaded;
};

export interface RunOptions {
  /** Bench names; empty runs every bench. */
  names: readonly string[];
  options: BenchOptions;
  /** Where lines are appended (`<date>-<bench>.jsonl`); false writes no file. Default bench/results. */
  resultsDir?: string | false;
  /** Where lines are printed, one JSON object a line. Default stdout. */
  write?: (text: string) => void;
  /** Progress messages. Default stderr. */
  log?: (message: string) => void;
}

export const localDate = (at = new Date()): string => {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
};

const cleanups = new Set<() => Promise<void>>();
/** Database drops, kept apart: on a signal they go first, since they also end every connection. */
const drops = new Set<() => Promise<void>>();

const settle = async (cleanup: () => Promise<void>, timeoutMs: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([
    cleanup().catch((error: unknown) => process.stderr.write(`bench cleanup failed: ${String(error)}\n`)),
    timeout,
  ]);
  clearTimeout(timer);
};

/**
 * Drops every bench database now, then runs the other pending cleanups, each given at most
 * `timeoutMs`. The CLI calls it on SIGINT or SIGTERM, while work may still hold connections.
 */
export const runPendingCleanups = async (timeoutMs = 5_000): Promise<void> => {
  for (const drop of [...drops]) {
    drops.delete(drop);
    cleanups.delete(drop);
    await settle(drop, timeoutMs);
  }
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    await settle(cleanup, timeoutMs);
  }
};

export class UnknownBenchError extends Error {}

export const selectBenches = async (names: readonly string[]): Promise<BenchDefinition[]> => {
  await loadBenches();
  const all = registeredBenches();
  if (names.length === 0) return all;
  return names.map((name) => {
    const bench = all.find((b) => b.name === name);
    if (!bench) throw new UnknownBenchError(`unknown bench "${name}"; known: ${all.map((b) => b.name).join(', ') || '(none)'}`);
    return bench;
  });
};

/** Runs the named benches one after another; returns every line they emitted. */
export const runBenches = async (run: RunOptions): Promise<BenchLine[]> => {
  const benches = await selectBenches(run.names);
  const write = run.write ?? ((text: string) => process.stdout.write(text));
  const log = run.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const resultsDir = run.resultsDir ?? DEFAULT_RESULTS_DIR;
  const lines: BenchLine[] = [];
  for (const bench of benches) {
    const own: (() => Promise<void>)[] = [];
    /** The bench's databases, for --statements. */
    const oids: number[] = [];
    const resultsFile = resultsDir ? path.join(resultsDir, `${localDate()}-${bench.name}.jsonl`) : undefined;
    if (resultsDir) mkdirSync(resultsDir, { recursive: true });
    const context: BenchContext = {
      options: run.options,
      emit(line) {
        if (line.bench !== bench.name && !line.bench.startsWith(`${bench.name}.`)) {
          throw new Error(`bench ${bench.name} emitted a line named ${line.bench}`);
        }
        const text = `${JSON.stringify(line)}\n`;
        lines.push(line);
        write(text);
        if (resultsFile) appendFileSync(resultsFile, text);
      },
      log: (message) => log(`[${bench.name}] ${message}`),
      async createDatabase(prefix) {
        const database = await createBenchDatabase(run.options.serverUrl, prefix);
        const drop = (): Promise<void> => database.drop();
        drops.add(drop);
        context.onCleanup(drop);
        if (run.options.statements) oids.push(await databaseOid(database.url));
        return database;
      },
      onCleanup(cleanup) {
        own.push(cleanup);
        cleanups.add(cleanup);
      },
    };
    const started = Date.now();
    log(`[${bench.name}] ${bench.description}`);
    try {
      await bench.run(context);
    } finally {
      for (const cleanup of own.reverse()) {
        if (!cleanups.delete(cleanup)) continue; // already run by a signal handler
        drops.delete(cleanup);
        await cleanup().catch((error: unknown) => log(`[${bench.name}] cleanup failed: ${String(error)}`));
      }
    }
    log(`[${bench.name}] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (run.options.statements && oids.length > 0) {
      const result = await readStatements(run.options.serverUrl, oids, run.options.statements);
      log(result.available ? `[${bench.name}] statements by time in the server:\n${formatStatements(result.statements)}` : `[${bench.name}] no statements: ${result.reason}`);
    }
  }
  return lines;
};
