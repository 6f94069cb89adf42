import { createTestDatabase, freePort, freePortRange, type TestDatabase } from '@clientela/testing';
import { busEnv, SERVICES, startPlatformProcess, type PlatformProcess } from '@clientela/launcher';

// Every route of the platform, read from the gateway's merged OpenAPI document (so a route or a service
// added later is covered without a line here), sent values that have broken routes before: text
// PostgreSQL cannot store (U+0000, a lone surrogate), paths that are not valid percent-encoding, impossible
// days, huge and repeated query values, bodies that are not objects or nest thousands deep. None may be
// a 5xx, every refusal is problem+json, and no read model parks an event as poison. Standalone only: the
// HTTP edge is the same in both bus modes.
const ADMIN_KEY = 'e2e-robustness-admin-key-0123456789abcdefghij';
const PATH_VALUES = ['x', '00000000-0000-0000-0000-000000000000', 'a%00b', '%E2%80%AE', 'a'.repeat(5_000), '-1', '1e309', '..%2F..%2Fetc', '%F0%9F%98%80', "'%3B--", '%ff', 'null', '__proto__'];
const QUERY_VALUES = ['', 'x', '-1', '0', '1e309', '99999999999999999999', 'a%00b', '%ED%A0%80', '2026-13-45', '1997-02-30', 'a'.repeat(3_000), '%ff', 'true'];
const BODIES: Array<[contentType: string, body: string]> = [
  ['text/plain', 'not json'],
  ['application/json', 'null'],
  ['application/json', '[]'],
  ['application/json', '"s"'],
  ['application/json', '{}'],
  ['application/json', '{"__proto__":{"x":1}}'],
  ['application/json', '{"a":"\\u0000","b":"\\ud800"}'],
  ['application/json', `${'['.repeat(5_000)}${']'.repeat(5_000)}`],
  ['application/json', `{"name":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}`],
];

interface Operation {
  parameters?: Array<{ in: string; name: string }>;
}

describe('every route refuses bad input with 4xx problem+json, never a 5xx', () => {
  let database: TestDatabase;
  let platform: PlatformProcess | undefined;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase('clientela_robustness_e2e');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    platform = await startPlatformProcess({
      DATABASE_URL: database.url,
      PORT: String(port),
      CLIENTELA_SERVICE_PORT_BASE: String((await freePortRange(SERVICES.length)) - 1),
      ADMIN_API_KEY: ADMIN_KEY,
      ...busEnv('standalone', ''),
    });
  });

  afterAll(async () => {
    if (platform) expect(await platform.stop()).toBe(0);
    await database?.drop();
  });

  it('answers every path, query and body value of the list with 2xx-4xx, refusals as problem+json', async () => {
    const document = (await (await fetch(`${base}/api/docs-json`, { headers: { 'x-api-key': ADMIN_KEY } })).json()) as { paths: Record<string, Record<string, Operation>> };
    const failures: string[] = [];
    let requests = 0;
    const send = async (method: string, path: string, body?: [string, string], headers: Record<string, string> = {}) => {
      requests++;
      const response = await fetch(`${base}${path}`, { method, headers: { 'x-api-key': ADMIN_KEY, ...(body ? { 'content-type': body[0] } : {}), ...headers }, body: body?.[1] });
      const text = await response.text();
      const refusedWell = response.status < 400 || (response.status < 500 && /^application\/problem\+json/.test(response.headers.get('content-type') ?? ''));
      if (!refusedWell) failures.push(`${response.status} ${method} ${path.slice(0, 120)} ${body ? body[1].slice(0, 40) : ''} -> ${text.slice(0, 160)}`);
    };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })));
    // Revoking keys or resetting read models would change what the later requests meet.
    const safe = operations.filter(({ path, method }) => !(method === 'DELETE' && path.includes('api-keys')) && !/\/(rebuild|reset)$/.test(path));
    expect(safe.length).toBeGreaterThan(80);
    for (const { path, method, operation } of safe) {
      const inPath = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const inQuery = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const filled = (name?: string, value?: string) => path.replace(/\{(\w+)\}/g, (_, n: string) => (n === name ? (value as string) : '00000000-0000-0000-0000-000000000001'));
      for (const name of inPath) for (const value of PATH_VALUES) await send(method, filled(name, value));
      for (const name of inQuery) for (const value of QUERY_VALUES) await send(method, `${filled()}?${name}=${value}`);
      if (inQuery.length > 0) await send(method, `${filled()}?${inQuery.map((q) => `${q}=1&${q}=2`).join('&')}`);
      if (['POST', 'PUT', 'PATCH'].includes(method)) for (const body of BODIES) await send(method, filled(), body);
    }
    // Headers over Node's 16 KiB: refused by its HTTP parser before any route, as problem+json too.
    await send('GET', `/api/v1/contacts`, undefined, { 'x-filler': 'a'.repeat(20_000) });
    console.log(`bad input through the gateway: ${requests} requests over ${safe.length} routes, ${failures.length} not refused well`);
    expect(failures).toEqual([]);
    expect(platform?.output()).not.toMatch(/parked a poison event/);
  });
});
