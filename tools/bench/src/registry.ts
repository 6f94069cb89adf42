import type { BenchDatabase } from './database';

/** A value in a result line: JSON scalars only, so every line stays one flat object. */
export type LineValue = string | number | boolean | null;

/** One figure: printed as one JSON line and appended to bench/results/<date>-<bench>.jsonl. */
export interface BenchLine {
  bench: string;
  [key: string]: LineValue;
}

/** Options every bench receives; each reads the ones it understands. */
export interface BenchOptions {
  /** A tiny run (smoke test): small sizes, same figures. */
  quick: boolean;
  /** The server to make the bench databases on (its database part is ignored). */
  serverUrl: string;
  /** Main size of the bench (the eventstore bench: single appends). Default per bench. */
  events?: number;
  /** Second size (the eventstore bench: events appended in batches). Default per bench. */
  batchEvents?: number;
  batchSize?: number;
  pageSize?: number;
  concurrency?: number;
  /** Also measure the peer implementation, where a bench has one. */
  peer: boolean;
  /** Measured rounds of each phase (the median counts, the spread is printed). Default per bench. */
  rounds?: number;
  /** The eventstore bench: events put into each store before anything is measured (not measured). */
  grow?: number;
  /** After each bench, print its databases' top this many statements (needs pg_stat_statements on the server). */
  statements?: number;
}

export interface BenchContext {
  readonly options: BenchOptions;
  /** Prints the line on stdout and appends it to the results file. */
  emit(line: BenchLine): void;
  /** Progress, on stderr. */
  log(message: string): void;
  /** A fresh database on the server, dropped when the bench ends (also when it fails). */
  createDatabase(prefix?: string): Promise<BenchDatabase>;
  /** Runs when the bench ends, last registered first. */
  onCleanup(cleanup: () => Promise<void>): void;
}

export interface BenchDefinition {
  /** `npm run bench -- <name>`: lower-case letters, digits and -. The lines it emits are named `<name>.<figure>`. */
  name: string;
  description: string;
  run(context: BenchContext): Promise<void>;
}

const benches = new Map<string, BenchDefinition>();
const NAME = /^[a-z][a-z0-9-]*$/;

/** Called by each file in src/benches/ (`<name>.bench.ts`), which the runner loads by itself. */
export const registerBench = (definition: BenchDefinition): BenchDefinition => {
  if (!NAME.test(definition.name)) {
    throw new TypeError(`bench name "${definition.name}" must be lower-case letters, digits and -`);
  }
  const existing = benches.get(definition.name);
  if (existing && existing !== definition) throw new TypeError(`bench "${definition.name}" is registered twice`);
  benches.set(definition.name, definition);
  return definition;
};

export const registeredBenches = (): BenchDefinition[] => [...benches.values()].sort((a, b) => a.name.localeCompare(b.name));
