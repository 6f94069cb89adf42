import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, freePortRange } from '@clientela/testing';
import { SERVICES } from '../src/launcher-config';

// `npm start` as a newcomer runs it: no DATABASE_URL (embedded PostgreSQL), the gateway in front of the
// services, each its own process. Ctrl-C is SIGINT to the whole process group, as a terminal sends it.
// It runs the command the `start` script runs (package.json): npm itself answers SIGINT by dying of it,
// so its own status would say nothing about how the platform stopped.
const ROOT = join(__dirname, '..', '..', '..');
const ADMIN_KEY = 'e2e-admin-key-0123456789abcdefghijklmnopqrstuv';

/** Every process below `pid`, found through /proc (postgres runs in a process group of its own, so not by group). */
const descendantsOf = (pid: number): number[] => {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  startedInMs: number;
}

const npmStart = async (env: Record<string, string>): Promise<Started> => {
  const started = Date.now();
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'BUS', 'KAFKA_BROKERS', 'EVENT_STORE'].includes(k)));
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  expect(script).toBe('node tools/launcher/start.js');
  const child = spawn(process.execPath, ['tools/launcher/start.js'], { cwd: ROOT, env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (const deadline = Date.now() + 90_000; !output.includes('Ctrl-C stops everything'); await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null) throw new Error(`npm start ended early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start was not ready in 90 s:\n${output}`);
  }
  return { child, output: () => output, exited, startedInMs: Date.now() - started };
};

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'clientela-e2e-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs the platform on an embedded PostgreSQL, stops on Ctrl-C with exit 0 and nothing left, and keeps its data', async () => {
    const env = {
      CLIENTELA_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      CLIENTELA_PG_PORT: String(await freePort()),
      CLIENTELA_SERVICE_PORT_BASE: String((await freePortRange(SERVICES.length)) - 1),
      ADMIN_API_KEY: ADMIN_KEY,
      LOG_LEVEL: 'warn',
    };
    const api = `http://127.0.0.1:${env.PORT}/api/v1`;
    const headers = { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' };

    const first = await npmStart(env);
    console.log(`npm start: ready in ${first.startedInMs} ms (first start, initdb included)`);
    expect(first.output()).toContain(`http://127.0.0.1:${env.PORT}/api/docs`);
    const processes = descendantsOf(first.child.pid as number);
    expect(processes.length).toBeGreaterThanOrEqual(3); // postgres (and its workers), contacts, gateway

    expect((await fetch(`${api}/contacts`)).status).toBe(401);
    const created = await fetch(`${api}/contacts`, { method: 'POST', headers, body: JSON.stringify({ givenName: 'Erin', emails: ['erin@example.com'] }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const read = await fetch(`${api}/contacts/${id}`, { headers: { ...headers, 'x-min-position': created.headers.get('x-position') as string } });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, givenName: 'Erin', emails: ['erin@example.com'] });
    // The contacts service itself answers its API to the gateway alone, whatever role a caller claims; its health to anyone.
    const contactsService = `http://127.0.0.1:${Number(env.CLIENTELA_SERVICE_PORT_BASE) + 1 + SERVICES.indexOf('contacts')}`;
    const direct = await fetch(`${contactsService}/api/v1/contacts/${id}`, { headers: { 'x-clientela-role': 'admin', 'x-clientela-actor': 'api-key:forged' } });
    expect(direct.status).toBe(401);
    expect(direct.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${contactsService}/health/live`)).status).toBe(200);
    // The database URL it prints is the one the CLI (README) is told to use.
    const databaseUrl = /database {3}(postgres:\/\/\S+)/.exec(first.output())?.[1];
    expect(databaseUrl).toContain(`:${env.CLIENTELA_PG_PORT}/clientela`);
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      expect((await client.query("select count(*)::int as n from event_store.events where type = 'ContactRegistered'")).rows[0].n).toBeGreaterThanOrEqual(1);
    } finally {
      await client.end();
    }

    process.kill(-(first.child.pid as number), 'SIGINT');
    expect(await first.exited).toBe(0);
    expect(processes.filter(isAlive)).toEqual([]);
    expect(first.output()).toContain('[clientela] stopped');

    const second = await npmStart(env);
    console.log(`npm start: ready in ${second.startedInMs} ms (second start)`);
    try {
      const again = await fetch(`${api}/contacts/${id}`, { headers });
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ id, givenName: 'Erin' });
    } finally {
      const more = descendantsOf(second.child.pid as number);
      process.kill(-(second.child.pid as number), 'SIGINT');
      expect(await second.exited).toBe(0);
      expect(more.filter(isAlive)).toEqual([]);
    }
  });

  it('refuses wrong settings with every problem listed and exit 1, before it starts anything, without a stack trace', async () => {
    const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'BUS', 'KAFKA_BROKERS', 'EVENT_STORE', 'CLIENTELA_MASTER_KEY'].includes(k)));
    const child = spawn(process.execPath, ['tools/launcher/start.js'], {
      cwd: ROOT,
      env: { ...cleanEnv, CLIENTELA_DATA_DIR: dataDir, BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:1', CLIENTELA_PG_PORT: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(1);
    expect(output).toContain('CLIENTELA_MASTER_KEY is required when BUS=kafka');
    expect(output).toContain(`CLIENTELA_PG_PORT must be a port number (1-65535) (got "none")`);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('starting embedded PostgreSQL');
  }, 60_000);
});
