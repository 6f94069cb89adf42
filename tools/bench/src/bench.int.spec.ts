import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { testServerUrl } from '@clientela/testing';
import { runBenches } from './runner';
import type { BenchLine } from './registry';

// Runs the eventstore and projections benches in --quick mode against the test PostgreSQL and checks
// the shape of what they print (the eventstore's stores grown first by a little: --grow). No timing
// is asserted: speed is what the bench reports, not what a test decides.

const FIGURES = ['eventstore.append.single', 'eventstore.append.batch', 'eventstore.append.multi', 'eventstore.read.all'];
/** Figures with a peer line: Emmett has no atomic append to several streams. */
const PEERED = FIGURES.filter((f) => f !== 'eventstore.append.multi');
/** Figures also measured with personal data sealed, beside ours without. */
const SEALED = ['eventstore.append.batch', 'eventstore.read.all'];

/** Events put into each store, the peer's included, before anything is measured. */
const GROWN = 1_000;

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
      options: { quick: true, serverUrl: testServerUrl(), peer: true, grow: GROWN },
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
    expect(parsed.map((l) => l.bench).sort()).toEqual([...FIGURES, ...PEERED.map((f) => `${f}.peer`), ...SEALED.map((f) => `${f}.sealed`)].sort());
  });

  it('a grown store: every line says so, and no contender (the peer neither) reads the grown events', () => {
    for (const line of lines) expect({ bench: line.bench, grown: line.store_events_before }).toEqual({ bench: line.bench, grown: GROWN });
    expect(logged.filter((message) => /\bgrew (limit|ours|peer|sealed) by 1000 events/.test(message))).toHaveLength(4);
    const miscounts = logged.filter((message) => message.includes('were appended'));
    expect(miscounts.filter((message) => !message.includes('read.all peer:'))).toEqual([]);
    // Emmett's read pages in transaction order and resumes after the last global position of a page,
    // so where concurrent appends interleaved their positions it passes over some events and reads
    // others twice (both seen in CI: 2,375 and 2,512 of 2,420, a few per cent). Reading the grown ones
    // too would add all 1,000 of them.
    for (const message of miscounts) {
      const [, read, appended] = /read (\d+) events, but (\d+) were appended/.exec(message) ?? [];
      expect(Math.abs(Number(read) - Number(appended))).toBeLessThan(GROWN / 2);
    }
  });

  it('eventstore.append.multi: 1,000 streams a call, and how it compares with our own batch append', () => {
    const multi = lines.find((l) => l.bench === 'eventstore.append.multi');
    const batch = lines.find((l) => l.bench === 'eventstore.append.batch');
    if (!multi || !batch) throw new Error('eventstore.append.multi or .batch missing');
    expect(multi.streams_per_call).toBe(1000);
    expect(multi.ours_batch_per_s).toBe(batch.ours_per_s);
    expect(Math.abs(num(multi, 'ratio_to_ours_batch') - num(multi, 'ours_per_s') / num(batch, 'ours_per_s'))).toBeLessThanOrEqual(0.0005 + 1e-9);
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
    // The median of the rounds is the figure; their rates and spread are printed beside it.
    for (const who of ['ours', 'limit']) {
      const rounds = String(line[`${who}_rounds`]).split(',').map(Number);
      expect(rounds.length).toBeGreaterThanOrEqual(1);
      expect(rounds).toContain(num(line, `${who}_per_s`));
      expect(num(line, `${who}_spread`)).toBeGreaterThanOrEqual(0);
    }
    expect(String(line.ratio_rounds).split(',')).toHaveLength(String(line.ours_rounds).split(',').length);
    // The whole machine's CPU beside the client's: what tells a CPU-bound figure from one that waited.
    for (const who of ['ours', 'limit']) {
      expect(num(line, `${who}_machine_cpu_s`)).toBeGreaterThanOrEqual(0);
      expect(num(line, `${who}_machine_cpu_us_per_event`)).toBeCloseTo((num(line, `${who}_machine_cpu_s`) * 1e6) / (bench === 'eventstore.read.all' ? num(line, 'events') * num(line, 'rounds') : num(line, 'events')), -1);
    }

    const server = new Client({ connectionString: testServerUrl() });
    await server.connect();
    try {
      const { rows } = await server.query<{ synchronous_commit: string }>('show synchronous_commit');
      expect(line.synchronous_commit).toBe(rows[0].synchronous_commit);
    } finally {
      await server.end();
    }
  });

  it.each(PEERED)('%s.peer: the peer named with its version, ratio = ours / peer', (bench) => {
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

  it.each(SEALED)('%s.sealed: ours with personal data sealed beside ours without, ratio = sealed / ours', (bench) => {
    const line = lines.find((l) => l.bench === `${bench}.sealed`);
    const ourLine = lines.find((l) => l.bench === bench);
    if (!line || !ourLine) throw new Error(`${bench}.sealed missing`);
    const sealed = num(line, 'ours_per_s');
    // The figure without sealing is our line's own, from the same phase of the same run.
    expect(num(line, 'limit_per_s')).toBe(ourLine.ours_per_s);
    expect(sealed).toBeGreaterThan(0);
    expectRatio(line, sealed, num(line, 'limit_per_s'));
    expect(String(line.limit)).toMatch(/without personal data sealing/);
    // The same events with and without: the sealed store holds what ours holds, so its read reads as many.
    expect(line.events).toBe(ourLine.events);
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

describe('npm run bench -- projections --quick', () => {
  const resultsDir = mkdtempSync(path.join(tmpdir(), 'clientela-bench-'));
  let lines: BenchLine[] = [];
  const printed: string[] = [];
  const logged: string[] = [];
  const line = (bench: string): BenchLine => {
    const found = lines.find((l) => l.bench === bench);
    if (!found) throw new Error(`${bench} missing`);
    return found;
  };

  beforeAll(async () => {
    lines = await runBenches({
      names: ['projections'],
      options: { quick: true, serverUrl: testServerUrl(), peer: true },
      resultsDir,
      write: (text) => printed.push(text),
      log: (message) => logged.push(message),
    });
  }, 110_000);

  afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

  it('prints one JSON line per figure: the first build, the rebuild and the lag', () => {
    const parsed = printed.join('').trimEnd().split('\n').map((l) => JSON.parse(l) as BenchLine);
    expect(parsed).toEqual(lines);
    expect(parsed.map((l) => l.bench)).toEqual(['projections.rebuild', 'projections.rebuild.shadow', 'projections.lag']);
    for (const l of parsed) {
      for (const value of Object.values(l)) expect(['string', 'number', 'boolean']).toContain(typeof value);
      expect(l.quick).toBe(true);
      expect(typeof l.limit).toBe('string');
    }
  });

  it('projections.rebuild: positive rates, ratio = ours / limit, and a read model that adds up', () => {
    const rebuild = line('projections.rebuild');
    const ours = num(rebuild, 'ours_per_s');
    const limit = num(rebuild, 'limit_per_s');
    expect(ours).toBeGreaterThan(0);
    expect(limit).toBeGreaterThan(0);
    expectRatio(rebuild, ours, limit);
    expect(num(rebuild, 'events')).toBe(20_000);
    expect(num(rebuild, 'orders') + num(rebuild, 'refunds')).toBe(20_000);
    expect(num(rebuild, 'rows')).toBeGreaterThan(0);
    expect(num(rebuild, 'batch_size')).toBeGreaterThan(0);
    expect(rebuild.sums_checked).toBe(true);
  });

  it('projections.rebuild.shadow: a rebuild of the live copy at a positive rate, beside the same limit, adding up', () => {
    const shadow = line('projections.rebuild.shadow');
    expect(num(shadow, 'ours_per_s')).toBeGreaterThan(0);
    expect(num(shadow, 'limit_per_s')).toBe(num(line('projections.rebuild'), 'limit_per_s'));
    expectRatio(shadow, num(shadow, 'ours_per_s'), num(shadow, 'limit_per_s'));
    expect(num(shadow, 'rows')).toBe(num(line('projections.rebuild'), 'rows'));
    expect(shadow.sums_checked).toBe(true);
  });

  it('projections.lag: positive lags at about the target rate, ratio = ours p50 / limit p50', () => {
    const lag = line('projections.lag');
    for (const key of ['ours_p50_ms', 'ours_p99_ms', 'ours_max_ms', 'limit_p50_ms', 'limit_p99_ms', 'limit_max_ms']) {
      expect(num(lag, key)).toBeGreaterThan(0);
    }
    expect(num(lag, 'ours_p50_ms')).toBeLessThanOrEqual(num(lag, 'ours_p99_ms'));
    expect(num(lag, 'ours_p99_ms')).toBeLessThanOrEqual(num(lag, 'ours_max_ms'));
    expectRatio(lag, num(lag, 'ours_p50_ms'), num(lag, 'limit_p50_ms'));
    expect(num(lag, 'target_per_s')).toBe(1_000);
    expect(num(lag, 'ours_append_per_s')).toBeGreaterThan(0);
    expect(num(lag, 'limit_append_per_s')).toBeGreaterThan(0);
    expect(num(lag, 'events')).toBeGreaterThan(0);
    expect(num(lag, 'limit_events')).toBeGreaterThan(0);
  });

  it('says which synchronous_commit the figures were measured with', async () => {
    const server = new Client({ connectionString: testServerUrl() });
    await server.connect();
    try {
      const { rows } = await server.query<{ synchronous_commit: string }>('show synchronous_commit');
      for (const l of lines) expect(l.synchronous_commit).toBe(rows[0].synchronous_commit);
    } finally {
      await server.end();
    }
  });

  it('appends the same lines to <results>/<date>-projections.jsonl and drops its database', async () => {
    const files = readdirSync(resultsDir);
    expect(files).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}-projections\.jsonl$/)]);
    const saved = readFileSync(path.join(resultsDir, files[0]), 'utf8').trimEnd().split('\n');
    expect(saved.map((l) => JSON.parse(l) as BenchLine)).toEqual(lines);
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
