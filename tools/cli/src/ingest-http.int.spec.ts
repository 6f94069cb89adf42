import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { runCli } from './testing/run-cli';

const SAMPLE = join(__dirname, '..', '..', '..', 'datasets', 'cdnow', 'cdnow_sample.txt');

// The HTTP door against a stand-in for POST /api/v1/events that answers by its contract (a result per
// item, in order; (source, id) seen before is a duplicate; an order of amount 13.37 is refused), to
// check the CLI's side: batches of at most 1,000, the sums, each refusal traced to its line. The
// end-to-end test against the contacts service comes when its endpoint is in main.
describe('clientela ingest --via http (the CLI against the endpoint\'s contract)', () => {
  let server: Server;
  let url: string;
  const seen = new Set<string>();
  const batches: number[] = [];
  const keys: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        keys.push(String(request.headers['x-api-key']));
        const items = JSON.parse(body) as Array<{ source: string; id: string; data: { amount: number } }>;
        batches.push(items.length);
        const results = items.map((item, index) => {
          if (item.data.amount === 13.37) return { index, status: 'rejected', code: 'unresolvable_customer', detail: 'the message cannot be attributed to a customer', violations: [] };
          const key = `${item.source}:${item.id}`;
          const status = seen.has(key) ? 'duplicate' : 'accepted';
          seen.add(key);
          return { index, status };
        });
        const count = (status: string) => results.filter((r) => r.status === status).length;
        response.writeHead(request.url === '/api/v1/events' && request.method === 'POST' ? 200 : 404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected'), results }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the CDNOW sample in batches of at most 1,000 and sums the answers; a second run is all duplicates', async () => {
    const first = await runCli(['ingest', SAMPLE, '--format', 'cdnow', '--url', url, '--api-key', 'admin-key'], {});
    expect(first).toMatchObject({ code: 0, stdout: '6,919 messages: 6,919 accepted, 0 duplicates, 0 rejected\n' });
    expect(batches).toEqual([1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 919]);
    expect(new Set(keys)).toEqual(new Set(['admin-key']));
    const second = await runCli(['ingest', SAMPLE, '--format', 'cdnow', '--url', url, '--api-key', 'admin-key', '--batch', '500', '--json'], {});
    expect(JSON.parse(second.stdout)).toMatchObject({ via: 'http', messages: 6_919, accepted: 0, duplicates: 6_919, rejected: 0 });
  });

  it('traces each refusal, the endpoint\'s and its own, to its line, and exits 1', async () => {
    const file = join(tmpdir(), `ingest-${randomUUID()}.ndjson`);
    const order = (id: string, amount: number) =>
      JSON.stringify({ id, type: 'OrderPlaced', occurredAt: '2026-01-01T00:00:00Z', source: 'shop', customer: { externalId: 'x' }, data: { orderId: id, lines: [{ sku: 'A', quantity: 1, unitPrice: amount }], amount, currency: 'EUR' } });
    writeFileSync(file, [order(randomUUID(), 1), order(randomUUID(), 13.37), '[]', order(randomUUID(), 2)].join('\n'));
    const result = await runCli(['ingest', file, '--url', url, '--api-key', 'k', '--batch', '2'], {});
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      '4 messages: 2 accepted, 0 duplicates, 2 rejected\n' +
        '  line 2: the message cannot be attributed to a customer\n' +
        '  line 3: invalid ingest message: (message): an ingest message must be a JSON object\n',
    );
  });
});
