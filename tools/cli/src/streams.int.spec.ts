import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@clientela/event-store';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { waitUntilReadable } from '@clientela/event-store/testing';
// The sample orders of libs/projections' tests (not exported by the library), as the bench uses them.
import { appendSampleOrders, ordersCatalogue } from '@clientela/projections/testing';
import { runCli, spawnCli } from './testing/run-cli';

interface EventLine {
  id: string;
  type: string;
  streamId: string;
  position: string;
  recordedAt: string;
}

const lines = (text: string): EventLine[] => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventLine);

describe('clientela streams and events', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let env: Record<string, string>;
  const orders = `order${randomUUID().slice(0, 6)}`;
  const others = `other${randomUUID().slice(0, 6)}`;

  beforeAll(async () => {
    database = await createTestDatabase('cli_streams');
    store = await PostgresEventStore.create({ pool: database.pool(), catalogue: ordersCatalogue() });
    await appendSampleOrders(store, orders, 30); // 30 OrderPlaced + 6 OrderRefunded, one stream each order
    const last = await appendSampleOrders(store, others, 5); // 5 + 1
    // Readers see only what is below every running transaction of the server (other tests' too).
    await waitUntilReadable(store, last, 60_000);
    env = { DATABASE_URL: database.url };
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('streams stats counts events, streams, categories and types, with the head and the size on disk', async () => {
    const result = await runCli(['streams', 'stats', '--json'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const stats = JSON.parse(result.stdout);
    expect(stats).toMatchObject({ events: 42, streams: 35, headPosition: (await store.headPosition()).toString() });
    expect(stats.categories).toEqual([
      { category: orders, streams: 30, events: 36 },
      { category: others, streams: 5, events: 6 },
    ].sort((a, b) => a.category.localeCompare(b.category)));
    expect(stats.types).toEqual([
      { type: 'OrderPlaced', events: 35 },
      { type: 'OrderRefunded', events: 7 },
    ]);
    expect(stats.sizeOnDiskBytes).toBeGreaterThan(0);
    const text = await runCli(['streams', 'stats'], env);
    expect(text.stdout).toMatch(/^events +42$/m);
    expect(text.stdout).toMatch(new RegExp(`^${orders} +30 +36$`, 'm'));
  });

  it('streams list gives categories, then one category\'s streams page by page', async () => {
    const categories = await runCli(['streams', 'list'], env);
    expect(categories.stdout).toMatch(new RegExp(`^${others} +5 +6$`, 'm'));
    const page = JSON.parse((await runCli(['streams', 'list', '--category', orders, '--limit', '20', '--json'], env)).stdout) as { streamId: string; events: number }[];
    expect(page).toHaveLength(20);
    const rest = JSON.parse((await runCli(['streams', 'list', '--category', orders, '--after', page[19].streamId, '--json'], env)).stdout) as { streamId: string; events: number }[];
    expect(rest).toHaveLength(10);
    expect(new Set([...page, ...rest].map((s) => s.streamId)).size).toBe(30);
    expect(page.reduce((n, s) => n + s.events, 0) + rest.reduce((n, s) => n + s.events, 0)).toBe(36);
  });

  it('streams read prints one stream\'s events as JSON lines or a table', async () => {
    const [first] = JSON.parse((await runCli(['streams', 'list', '--category', orders, '--limit', '1', '--json'], env)).stdout) as { streamId: string; events: number }[];
    const jsonl = await runCli(['streams', 'read', first.streamId], env);
    expect(lines(jsonl.stdout).map((e) => e.streamId)).toEqual(Array(first.events).fill(first.streamId));
    const tableOut = await runCli(['streams', 'read', first.streamId, '--format', 'table'], env);
    expect(tableOut.stdout.split('\n')[0]).toMatch(/^REV +TYPE +RECORDED +POSITION +ACTOR$/);
    expect(tableOut.stdout).toContain('OrderPlaced');
  });

  it('events filters the whole store by type, category and position range, in store order', async () => {
    const all = lines((await runCli(['events'], env)).stdout);
    expect(all).toHaveLength(42);
    const positions = all.map((e) => BigInt(e.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(lines((await runCli(['events', '--category', others], env)).stdout)).toHaveLength(6);
    expect(lines((await runCli(['events', '--type', 'OrderRefunded', '--category', `${orders},${others}`], env)).stdout)).toHaveLength(7);
    const range = lines((await runCli(['events', '--from-position', all[9].position, '--to-position', all[19].position, '--page-size', '3'], env)).stdout);
    expect(range.map((e) => e.id)).toEqual(all.slice(10, 20).map((e) => e.id));
    const later = lines((await runCli(['events', '--since', new Date(Date.now() + 60_000).toISOString()], env)).stdout);
    expect(later).toHaveLength(0);
    const until = lines((await runCli(['events', '--until', new Date(Date.parse(all[41].recordedAt) + 1).toISOString()], env)).stdout);
    expect(until).toHaveLength(42);
  });

  it('says what it could not reach, and what was wrong, and exits non-zero', async () => {
    const down = await runCli(['streams', 'stats'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^clientela: could not reach PostgreSQL at 127\.0\.0\.1:1\/nothing \(DATABASE_URL\)/);
    const unset = await runCli(['events'], {});
    expect(unset).toMatchObject({ code: 1 });
    expect(unset.stderr).toContain('DATABASE_URL is not set');
    const wrong = await runCli(['events'], { DATABASE_URL: database.url, BUS: 'kafka' });
    expect(wrong.stderr).toContain('KAFKA_BROKERS is required when BUS=kafka');
    // A command line that cannot run as written exits 2 (usage), before anything is opened.
    for (const [argv, said] of [
      [['events', '--from-position', 'abc'], '--from-position must be a non-negative integer'],
      [['events', '--since', 'yesterday'], '--since must be a date'],
      [['streams', 'read', 'contact-1', '--from', 'abc'], '--from must be a whole number, 0 or more'],
      [['streams', 'read', 'contact-1', '--format', 'xml'], "argument 'xml' is invalid. Allowed choices are jsonl, table"],
      [['projections', 'rebuild', 'contacts', '--poll-ms', '0'], '--poll-ms must be a positive whole number'],
      [['dead-letters', 'redrive'], 'name the dead letters to re-drive, or say --all'],
      [['streams', 'stats', '--url', 'http://127.0.0.1:1'], '--url needs --api-key'],
    ] as const) {
      const usage = await runCli([...argv], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' });
      expect({ argv, code: usage.code, said: usage.stderr.includes(said) }).toEqual({ argv, code: 2, said: true });
    }
    const gateway = await runCli(['streams', 'stats', '--url', 'http://127.0.0.1:1', '--api-key', 'k'], env);
    expect(gateway.code).toBe(1);
    expect(gateway.stderr).toMatch(/could not reach the gateway at http:\/\/127\.0\.0\.1:1 \(--url\)/);
    const remoteEvents = await runCli(['events', '--url', 'http://127.0.0.1:1', '--api-key', 'k'], env);
    expect(remoteEvents.stderr).toContain('events reads the event store directly');
    expect((await runCli(['nonsense'], env)).code).toBe(2);
  });

  it('runs as the workspace bin, with --help and examples', async () => {
    const help = await spawnCli(['events', '--help'], {}).result;
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--from-position <p>');
    const stats = await spawnCli(['streams', 'stats', '--json'], env).result;
    expect(JSON.parse(stats.stdout).events).toBe(42);
  });
});
