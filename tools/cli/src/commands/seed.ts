import type { Command } from 'commander';
import { positiveInt, type CliContext } from '../cli-context';
import { UsageError } from '../usage-error';
import { formatNumber, printJson, progressBar, table, write } from '../output';
import { planDemoData } from '../seed/demo-data';
import { runSeed, SEED_KINDS, seedWrites, type SeedKind } from '../seed/seed-run';
import { remoteOf } from '../target';

const LABELS: Record<SeedKind, string> = {
  salesTeams: 'sales teams',
  salesReps: 'sales reps',
  quotas: 'quarterly quotas',
  accounts: 'accounts',
  customers: 'customers (contacts made by their first order)',
  orders: 'orders',
  refunds: 'refunds',
  profiles: 'customer profiles',
  stageChanges: 'lifecycle stage changes',
  consents: 'consents',
  prospects: 'prospects (contacts)',
  leads: 'leads',
  qualifications: 'lead qualifications',
  conversions: 'lead conversions',
  pipelines: 'pipelines',
  deals: 'deals',
  dealMoves: 'deal stage moves',
  dealsClosed: 'deals won or lost',
};

const SEED = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_CUSTOMERS = 1_000_000;

export const seedCommand = (program: Command, cli: CliContext): void => {
  program
    .command('seed')
    .description('writes a realistic demo data set through the public API: customers with two years of orders and refunds, prospects, leads, accounts, sales reps with quotas, deals in several pipelines')
    .requiredOption('--customers <n>', 'shop customers to make (prospects, leads, accounts and deals scale with them)', positiveInt('--customers'))
    .option('--seed <s>', 'what the data is made from: the same seed makes the same data, and a second run creates nothing', '1')
    .option('--until <day>', 'the last day of the data set (YYYY-MM-DD, UTC); orders run over the two years before it (default: today)')
    .option('--concurrency <n>', 'requests in flight', positiveInt('--concurrency'), 4)
    .option('--json', 'the summary as JSON')
    .addHelpText(
      'after',
      `
Everything goes through the gateway (--url, --api-key), as any client's writes would: contacts, accounts,
leads and deals through their routes, orders and refunds through POST /api/v1/events. Each write carries an
Idempotency-Key made of the seed and what it writes (ingest messages an id made of them), so running it
again with the same seed and key creates nothing. Ids of things the API creates derive from the key and
the API key's id: use the same API key to re-run.

Examples:
  $ clientela seed --customers 200 --url http://127.0.0.1:3000 --api-key $KEY
  $ clientela seed --customers 5000 --seed demo-2 --until 2026-06-30 --concurrency 8`,
    )
    .action(async (options: { customers: number; seed: string; until?: string; concurrency: number; json?: boolean }) => {
      if (!SEED.test(options.seed)) throw new UsageError(`--seed must be 1 to 40 letters, digits, dots, dashes or underscores (got ${JSON.stringify(options.seed)})`);
      if (options.customers > MAX_CUSTOMERS) throw new UsageError(`--customers may be at most ${formatNumber(MAX_CUSTOMERS)}`);
      const until = options.until ?? new Date().toISOString().slice(0, 10);
      if (!DAY.test(until) || Number.isNaN(Date.parse(`${until}T00:00:00Z`))) throw new UsageError(`--until must be a day, YYYY-MM-DD (got ${JSON.stringify(until)})`);
      const remote = remoteOf(cli.globals(), cli.env);
      if (!remote) throw new UsageError('seed writes through the public API: --url and --api-key (or CLIENTELA_URL and CLIENTELA_API_KEY)');

      const data = planDemoData({ seed: options.seed, customers: options.customers, until });
      const total = seedWrites(data);
      const bar = options.json ? undefined : progressBar(cli.err, `seed |{bar}| {percentage} % | {value}/{total} writes | ETA {eta_formatted}`);
      bar?.start(total, 0);
      let done = 0;
      let result;
      try {
        result = await runSeed(data, remote, { concurrency: options.concurrency, onProgress: (n) => bar?.update((done += n)) });
      } finally {
        bar?.stop();
      }
      const again = `clientela seed --customers ${options.customers} --seed ${options.seed} --until ${until}`;
      if (options.json) return printJson(cli.out, { seed: options.seed, customers: options.customers, from: data.from, until, ...result });
      const created = SEED_KINDS.reduce((n, k) => n + result.counts[k].created, 0);
      await write(
        cli.out,
        `seed ${options.seed}: ${formatNumber(options.customers)} customers, orders from ${data.from} to the day before ${until} (again: ${again})\n` +
          table(
            ['WHAT', 'NEW', 'ALREADY THERE'],
            SEED_KINDS.map((k) => [LABELS[k], formatNumber(result.counts[k].created), formatNumber(result.counts[k].existing)]),
          ) +
          (created === 0 ? 'nothing new: this seed was already there\n' : '') +
          (result.dealsFromConversions > 0 ? `and ${formatNumber(result.dealsFromConversions)} deals the sales service opens by itself for the converted leads (pipeline "Sales")\n` : '') +
          `read it all with X-Min-Position: ${result.position}\n`,
      );
    });
};
