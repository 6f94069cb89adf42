import * as path from 'node:path';

/** The repository root (tools/bench/src -> ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Where result lines are appended by default: bench/results/<date>-<bench>.jsonl (gitignored). */
export const DEFAULT_RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

export const DATASETS_DIR = path.join(REPO_ROOT, 'datasets');
