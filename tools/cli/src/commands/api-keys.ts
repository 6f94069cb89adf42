import { Option, type Command } from 'commander';
import { positiveInt, type CliContext } from '../cli-context';
import { printJson, table, write } from '../output';
import { callGateway, remoteOf } from '../target';
import { UsageError } from '../usage-error';

/** As the gateway's admin API answers a key (apps/gateway/src/api-keys/api-key.dto.ts). */
interface ApiKeyView {
  id: string;
  name: string;
  role: 'admin' | 'service';
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  rateLimitPerSecond: number | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const keyId = (id: string): string => {
  if (!UUID.test(id)) throw new UsageError(`the key's id is a UUID, as \`api-keys list\` shows it (got ${JSON.stringify(id)})`);
  return id;
};

export const apiKeysCommands = (program: Command, cli: CliContext): void => {
  const apiKeys = program
    .command('api-keys')
    .description('the gateway\'s API keys, through its admin API (--url and --api-key with an admin key): list, create, change the rate limit, revoke');
  const gateway = () => {
    const remote = remoteOf(cli.globals(), cli.env);
    if (!remote) throw new UsageError('api-keys works through the gateway\'s admin API: --url and --api-key (or CLIENTELA_URL and CLIENTELA_API_KEY)');
    return remote;
  };
  const rateOf = (key: ApiKeyView) => (key.rateLimitPerSecond === null ? 'default' : `${key.rateLimitPerSecond}/s`);

  apiKeys
    .command('list')
    .description('every key, revoked ones included (never a secret)')
    .option('--json', 'JSON instead of a table')
    .addHelpText('after', '\nExample:\n  $ clientela api-keys list --url http://127.0.0.1:3000 --api-key $KEY')
    .action(async (options: { json?: boolean }) => {
      const { items } = (await callGateway(gateway(), '/api/v1/admin/api-keys')).body as { items: ApiKeyView[] };
      if (options.json) return printJson(cli.out, items);
      await write(cli.out, table(['ID', 'NAME', 'ROLE', 'PREFIX', 'RATE LIMIT', 'CREATED', 'REVOKED'], items.map((k) => [k.id, k.name, k.role, k.prefix, rateOf(k), k.createdAt, k.revokedAt ?? ''])));
    });

  apiKeys
    .command('create')
    .description('a new key; its secret is shown this once')
    .argument('<name>', 'who or what uses it, e.g. shop-backend')
    .addOption(new Option('--role <role>', 'admin keys may manage keys and run admin operations').choices(['service', 'admin']).default('service'))
    .option('--rate-limit <n>', 'its own rate limit, requests a second (default: the gateway\'s RATE_LIMIT_PER_SECOND)', positiveInt('--rate-limit'))
    .option('--json', 'the key as JSON')
    .addHelpText('after', '\nExample:\n  $ clientela api-keys create shop-backend --rate-limit 500 --url http://127.0.0.1:3000 --api-key $KEY')
    .action(async (name: string, options: { role: 'service' | 'admin'; rateLimit?: number; json?: boolean }) => {
      const json = { name, role: options.role, ...(options.rateLimit ? { rateLimitPerSecond: options.rateLimit } : {}) };
      const created = (await callGateway(gateway(), '/api/v1/admin/api-keys', { method: 'POST', json })).body as unknown as ApiKeyView & { key: string };
      if (options.json) return printJson(cli.out, created);
      await write(cli.out, `${created.key}\nkey ${created.id} (${created.name}, ${created.role}, rate limit ${rateOf(created)}): the secret above is shown this once, keep it\n`);
    });

  apiKeys
    .command('rate-limit')
    .description('changes a key\'s rate limit, in force at once')
    .argument('<id>', 'the key\'s id')
    .argument('<limit>', 'requests a second, or `default` for the gateway\'s RATE_LIMIT_PER_SECOND')
    .addHelpText('after', '\nExamples:\n  $ clientela api-keys rate-limit 3f9a01bc-… 1000\n  $ clientela api-keys rate-limit 3f9a01bc-… default')
    .action(async (id: string, limit: string) => {
      const rateLimitPerSecond = limit === 'default' ? null : positiveInt('<limit>')(limit);
      const changed = (await callGateway(gateway(), `/api/v1/admin/api-keys/${keyId(id)}`, { method: 'PATCH', json: { rateLimitPerSecond } })).body as unknown as ApiKeyView;
      await write(cli.out, `key ${changed.id} (${changed.name}): rate limit ${rateOf(changed)}\n`);
    });

  apiKeys
    .command('revoke')
    .description('revokes a key: refused from now on (by other gateway instances within API_KEY_CACHE_TTL_MS)')
    .argument('<id>', 'the key\'s id')
    .action(async (id: string) => {
      await callGateway(gateway(), `/api/v1/admin/api-keys/${keyId(id)}`, { method: 'DELETE' });
      await write(cli.out, `key ${id} revoked\n`);
    });
};
