import { contactsService } from '../../../apps/contacts/src/contacts-service';
import { runCli } from './testing/run-cli';
import { bootGatewayPlatform, type GatewayPlatform } from './testing/test-platform';

// `clientela api-keys` against the gateway's admin API, with the keys it makes used for real.
describe('clientela api-keys (through the gateway\'s admin API)', () => {
  let platform: GatewayPlatform;
  const cli = (...args: string[]) => runCli([...args, '--url', platform.url, '--api-key', platform.adminKey], {});
  const contactsWith = (key: string) => fetch(`${platform.url}/api/v1/contacts`, { headers: { 'x-api-key': key } });

  beforeAll(async () => {
    platform = await bootGatewayPlatform([contactsService]);
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('creates a key shown once, lists it, changes its rate limit and revokes it', async () => {
    const created = await cli('api-keys', 'create', 'shop-backend', '--rate-limit', '500');
    expect(created.code).toBe(0);
    const [key, said] = created.stdout.split('\n');
    expect(key).toMatch(/^ck_[0-9a-f]{8}_/);
    expect(said).toMatch(/^key [0-9a-f-]{36} \(shop-backend, service, rate limit 500\/s\): the secret above is shown this once, keep it$/);
    const id = said.split(' ')[1];
    expect((await contactsWith(key)).status).toBe(200);

    const listed = JSON.parse((await cli('api-keys', 'list', '--json')).stdout) as Array<{ id: string; name: string; rateLimitPerSecond: number | null; revokedAt: string | null }>;
    expect(listed.find((k) => k.id === id)).toMatchObject({ name: 'shop-backend', rateLimitPerSecond: 500, revokedAt: null });
    expect((await cli('api-keys', 'list')).stdout).toMatch(new RegExp(`${id}\\s+shop-backend\\s+service\\s+\\S+\\s+500/s`));

    expect((await cli('api-keys', 'rate-limit', id, 'default')).stdout).toBe(`key ${id} (shop-backend): rate limit default\n`);
    expect((await cli('api-keys', 'rate-limit', id, '50')).stdout).toBe(`key ${id} (shop-backend): rate limit 50/s\n`);
    expect((await cli('api-keys', 'revoke', id)).stdout).toBe(`key ${id} revoked\n`);
    expect((await contactsWith(key)).status).toBe(401);
  });

  it('refuses what cannot be run as a usage error, and says what the gateway refused', async () => {
    for (const [args, said] of [
      [['api-keys', 'rate-limit', 'not-a-uuid', '5'], "the key's id is a UUID"],
      [['api-keys', 'rate-limit', '00000000-0000-4000-8000-000000000000', 'lots'], '<limit> must be a positive whole number'],
      [['api-keys', 'create', 'x', '--role', 'root'], "argument 'root' is invalid. Allowed choices are service, admin"],
    ] as const) {
      const result = await cli(...args);
      expect({ args, code: result.code, said: result.stderr.includes(said) }).toEqual({ args, code: 2, said: true });
    }
    expect((await runCli(['api-keys', 'list'], {})).stderr).toContain("api-keys works through the gateway's admin API");
    const unknown = await cli('api-keys', 'revoke', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('the gateway answered 404: no API key 00000000-0000-4000-8000-000000000000');
    const badName = await cli('api-keys', 'create', 'no spaces please');
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('the gateway answered 400');
  });
});
