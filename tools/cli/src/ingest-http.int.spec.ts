import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contactsService } from '../../../apps/contacts/src/contacts-service';
import { runCli } from './testing/run-cli';
import { bootTestGateway } from '../../../apps/gateway/src/testing/boot-test-gateway';
import { bootGatewayPlatform, type GatewayPlatform } from './testing/test-platform';

const SAMPLE = join(__dirname, '..', '..', '..', 'datasets', 'cdnow', 'cdnow_sample.txt');
const ORDERS = 6_919;

// `clientela ingest --via http` end to end: the CDNOW sample through the gateway into the contacts
// service's POST /api/v1/events (which refuses more than 1,000 items a request, so the CLI's batching is
// checked by the run going through). Every order lands once; the second run is all duplicates.
describe('clientela ingest --via http (through the gateway, into the contacts service)', () => {
  let platform: GatewayPlatform;
  const cli = (...args: string[]) => runCli([...args, '--url', platform.url, '--api-key', platform.adminKey], {});
  const orders = async () =>
    (await platform.database.pool().query<{ n: string; ids: string }>("select count(*)::text as n, count(distinct data->>'orderId')::text as ids from event_store.events where type = 'CustomerOrderPlaced'")).rows[0];

  beforeAll(async () => {
    platform = await bootGatewayPlatform([contactsService]);
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('lands every order of the CDNOW sample once; the second run reports every one as a duplicate', async () => {
    const first = await cli('ingest', SAMPLE, '--format', 'cdnow');
    expect(first).toMatchObject({ code: 0, stdout: '6,919 messages: 6,919 accepted, 0 duplicates, 0 rejected\n' });
    expect(first.stderr).toMatch(/\| 100 % \| 6919\/6919 messages/);
    expect(await orders()).toEqual({ n: String(ORDERS), ids: String(ORDERS) });

    const second = await cli('ingest', SAMPLE, '--format', 'cdnow', '--batch', '500', '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ via: 'http', messages: ORDERS, accepted: 0, duplicates: ORDERS, rejected: 0 });
    expect(await orders()).toEqual({ n: String(ORDERS), ids: String(ORDERS) });
  });

  it('waits out the gateway\'s rate limit (429, Retry-After) and sends again, losing nothing', async () => {
    const limited = await bootTestGateway(platform, { rateLimits: { perSecond: 2, burstSeconds: 1, authFailuresPerMinute: 60 } });
    try {
      const file = join(tmpdir(), `ingest-${randomUUID()}.ndjson`);
      const ids = Array.from({ length: 10 }, () => randomUUID());
      writeFileSync(file, ids.map((id, i) => JSON.stringify({ id, type: 'OrderPlaced', occurredAt: '2026-01-01T00:00:00Z', source: 'shop', customer: { externalId: `limited-${i}` }, data: { orderId: id, lines: [{ sku: 'A', quantity: 1, unitPrice: 1 }], amount: 1, currency: 'EUR' } })).join('\n'));
      // Five requests of two against a burst of two: three are refused at first and sent again.
      const result = await runCli(['ingest', file, '--batch', '2', '--json', '--url', limited.url, '--api-key', limited.adminKey], {});
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ messages: 10, accepted: 10, duplicates: 0, rejected: 0 });
    } finally {
      await limited.close();
    }
  });

  it('traces each refusal, the service\'s and its own, to its line, sends the rest, and exits 1', async () => {
    const file = join(tmpdir(), `ingest-${randomUUID()}.ndjson`);
    const order = (id: string, customer: Record<string, string>) =>
      JSON.stringify({ id, type: 'OrderPlaced', occurredAt: '2026-01-01T00:00:00Z', source: 'shop', customer, data: { orderId: id, lines: [{ sku: 'A', quantity: 1, unitPrice: 2.5 }], amount: 2.5, currency: 'EUR' } });
    // Line 2 keeps the contract but names nobody (placeholders only): the service refuses it. Line 3 is no message at all.
    writeFileSync(file, [order(randomUUID(), { externalId: 'c-1' }), order(randomUUID(), { email: 'test@test.com' }), '[]', order(randomUUID(), { externalId: 'c-2' })].join('\n'));
    const result = await cli('ingest', file, '--batch', '2');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      '4 messages: 2 accepted, 0 duplicates, 2 rejected\n' +
        '  line 2: unresolvable_customer: the message cannot be attributed to a customer (customer: no identifier can name one customer: email is a placeholder or blocked)\n' +
        '  line 3: invalid ingest message: (message): an ingest message must be a JSON object\n',
    );
  });

  it('says what it needs for HTTP, and what it could not reach', async () => {
    const noGateway = await runCli(['ingest', SAMPLE, '--format', 'cdnow'], {});
    expect(noGateway.stderr).toContain('--via http needs the gateway: --url and --api-key');
    const down = await runCli(['ingest', SAMPLE, '--format', 'cdnow', '--url', 'http://127.0.0.1:1', '--api-key', 'k'], {});
    expect(down.stderr).toContain('could not reach the gateway at http://127.0.0.1:1 (--url)');
    expect((await runCli(['ingest', 'no/such/file'], {})).stderr).toContain('cannot read no/such/file');
  });
});
