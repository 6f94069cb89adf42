import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { testServerUrl } from '@clientela/testing';
import { runBenches } from './runner';
import type { BenchLine } from './registry';

// Runs the eventstore bench in --quick mode against the test PostgreSQL and checks the shape of
// what it prints. No timing is asserted: speed is what the bench reports, not what a test decides.

const FIGURES = ['eventstore.append.single', 'eventstore.append.batch', 'eventstore.read.all'];

const num = (line: BenchLine, key: string): number => {
  const value = line[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${line.bench}: ${key} is ${JSON.stringify(value)}`);
  return value;
};

/** ratio is printed to 3 decimals from the printed rates (which are rounded to 0.1/s). */
const expectRatio = (line: BenchLine, ours: number, theirs: number): void => {
  const ratio = num(line, 'ratio');
  expect(Math.abs(ratio - ours / theirs)).toBeLessThanOrEqual(0.0005 + 1e-9);
};

describe('npm run bench -- eventstore --quick', () => {
  const resultsDir = mkdtempSync(path.join(tmpdir(), 'clientela-bench-'));
  let lines: BenchLine[] = [];
  const printed: string[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    lines = await runBenches({
      names: ['eventstore'],
      options: { quick: true, serverUrl: testServerUrl(), peer: true },
      resultsDir,
      write: (text) => printed.push(text),
      log: (message) => logged.push(message),
    });
  }, 110_000);

  afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

  it('prints one JSON line per figure, ours beside the limit and beside the peer', () => {
    const text = printed.join('');
    expect(text.endsWith('\n')).toBe(true);
    const parsed = text.trimEnd().split('\n').map((l) => JSON.parse(l) as BenchLine);
    expect(parsed).toEqual(lines);
    expect(parsed.map((l) => l.bench).sort()).toEqual([...FIGURES, ...FIGURES.map((f) => `${f}.peer`)].sort());
  });

  it.each(FIGURES)('%s: positive rates, ratio = ours / limit, the run conditions', async (bench) => {
    const line = lines.find((l) => l.bench === bench);
    if (!line) throw new Error(`${bench} missing`);
    const ours = num(line, 'ours_per_s');
    const limit = num(line, 'limit_per_s');
    expect(ours).toBeGreaterThan(0);
    expect(limit).toBeGreaterThan(0);
    expectRatio(line, ours, limit);
    expect(Number.isInteger(num(line, 'events'))).toBe(true);
    expect(num(line, 'events')).toBeGreaterThan(0);
    expect(line.concurrency).toBe(8);
    expect(line.quick).toBe(true);
    expect(num(line, 'ours_rss_peak_mb')).toBeGreaterThan(0);
    expect(typeof line.limit).toBe('string');

    const server = new Client({ connectionString: testServerUrl() });
    await server.connect();
    try {
      const { rows } = await server.query<{ synchronous_commit: string }>('show synchronous_commit');
      expect(line.synchronous_commit).toBe(rows[0].synchronous_commit);
    } finally {
      await server.end();
    }
  });

  it.each(FIGURES)('%s.peer: the peer named with its version, ratio = ours / peer', (bench) => {
    const line = lines.find((l) => l.bench === `${bench}.peer`);
    const ourLine = lines.find((l) => l.bench === bench);
    if (!line || !ourLine) throw new Error(`${bench}.peer missing`);
    expect(line.peer).toMatch(/^emmett-postgresql@\d+\.\d+\.\d+/);
    const ours = num(line, 'ours_per_s');
    const peer = num(line, 'peer_per_s');
    expect(ours).toBe(ourLine.ours_per_s);
    expect(peer).toBeGreaterThan(0);
    expectRatio(line, ours, peer);
    expect(num(line, 'events')).toBeGreaterThan(0);
    expect(line.synchronous_commit).toBe(ourLine.synchronous_commit);
  });

  it('appends the same lines to <results>/<date>-eventstore.jsonl', () => {
    const files = readdirSync(resultsDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}-eventstore\.jsonl$/);
    const saved = readFileSync(path.join(resultsDir, files[0]), 'utf8').trimEnd().split('\n');
    expect(saved.map((l) => JSON.parse(l) as BenchLine)).toEqual(lines);
  });

  it('drops the database it made', async () => {
    const name = logged.join('\n').match(/database (clientela_bench_[0-9a-f]+)/)?.[1];
    expect(name).toBeDefined();
    const server = new Client({ connectionString: testServerUrl() });
    await server.connect();
    try {
      const { rowCount } = await server.query('select 1 from pg_database where datname = $1', [name]);
      expect(rowCount).toBe(0);
    } finally {
      await server.end();
    }
  });
});
