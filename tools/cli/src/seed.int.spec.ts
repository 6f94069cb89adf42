import { waitFor } from '@clientela/messaging/src/testing/wait-for';
import { storedEvents } from '@clientela/service-kit/testing';
import { contactsService } from '../../../apps/contacts/src/contacts-service';
import { salesService } from '../../../apps/sales/src/sales-service';
import { planDemoData } from './seed/demo-data';
import { SEED_KINDS, type SeedResult } from './seed/seed-run';
import { runCli } from './testing/run-cli';
import { bootGatewayPlatform, type GatewayPlatform } from './testing/test-platform';

// `clientela seed` against contacts, sales and the gateway (in this process, on one database), checked
// through the public API only: what it says it made is there; a second run makes nothing; and a second
// platform seeded with the same seed holds the same data.
const CUSTOMERS = 24;
const ARGS = ['seed', '--customers', String(CUSTOMERS), '--seed', 'it', '--until', '2026-12-02'];
const plan = planDemoData({ seed: 'it', customers: CUSTOMERS, until: '2026-12-02' });
const conversions = plan.leads.filter((l) => l.convertedBy).length;
const won = plan.deals.filter((d) => d.outcome?.won).length;

type Item = Record<string, unknown>;

/** Every item of a list, page after page, read after the position the seed reached. */
const listAll = async (platform: GatewayPlatform, path: string, position: string): Promise<Item[]> => {
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const url = `${platform.url}/api/v1/${path}${path.includes('?') ? '&' : '?'}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await fetch(url, { headers: { 'x-api-key': platform.adminKey, 'x-min-position': position } });
    const body = (await response.json()) as { items: Item[]; nextCursor?: string };
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(body)}`);
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return items;
};

const LISTS = ['contacts', 'accounts', 'leads', 'pipelines', 'deals', 'orders', 'sales-teams', 'sales-reps', 'sales-quotas'] as const;
const counts = async (platform: GatewayPlatform, position: string) =>
  Object.fromEntries(await Promise.all(LISTS.map(async (list) => [list, (await listAll(platform, list, position)).length] as const)));

/** The data without what a run cannot make the same: ids the services draw, times of writing. */
const stable = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stable).map((v) => JSON.stringify(v)).sort();
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !/(^id$|Id$|At$|^revision$|^position$|^stageHistory$|^probability$)/.test(k)).map(([k, v]) => [k, stable(v)]));
  }
  return value;
};
const snapshot = async (platform: GatewayPlatform, position: string) => Object.fromEntries(await Promise.all(LISTS.map(async (list) => [list, stable(await listAll(platform, list, position))] as const)));

const seed = async (platform: GatewayPlatform, ...extra: string[]) => runCli([...ARGS, ...extra, '--url', platform.url, '--api-key', platform.adminKey], {});

describe('clientela seed (contacts, sales and the gateway)', () => {
  let platform: GatewayPlatform;
  let first: SeedResult;
  let expected: Record<string, number>;

  beforeAll(async () => {
    platform = await bootGatewayPlatform([contactsService, salesService]);
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('writes the data set through the API: each thing it reports is there', async () => {
    const run = await seed(platform, '--json');
    expect([run.code, run.stderr]).toEqual([0, '']);
    first = JSON.parse(run.stdout) as SeedResult;
    expect(first.counts).toEqual({
      salesTeams: { created: 2, existing: 0 },
      salesReps: { created: plan.reps.length, existing: 0 },
      quotas: { created: plan.reps.length * 10, existing: 0 },
      accounts: { created: plan.accounts.length, existing: 0 },
      customers: { created: CUSTOMERS, existing: 0 },
      orders: { created: plan.orders.length, existing: 0 },
      refunds: { created: plan.refunds.length, existing: 0 },
      profiles: { created: CUSTOMERS, existing: 0 },
      stageChanges: { created: plan.customers.filter((c) => c.stage !== 'customer').length, existing: 0 },
      consents: { created: plan.customers.filter((c) => c.marketingConsent).length, existing: 0 },
      prospects: { created: plan.prospects.length, existing: 0 },
      leads: { created: plan.leads.length, existing: 0 },
      qualifications: { created: plan.leads.filter((l) => l.qualification).length, existing: 0 },
      conversions: { created: conversions, existing: 0 },
      pipelines: { created: 3, existing: 0 },
      deals: { created: plan.deals.length, existing: 0 },
      dealMoves: { created: plan.deals.reduce((n, d) => n + d.moves.length, 0), existing: 0 },
      dealsClosed: { created: plan.deals.filter((d) => d.outcome).length, existing: 0 },
    });
    expect(conversions).toBeGreaterThan(0);

    expected = {
      contacts: CUSTOMERS + plan.prospects.length + conversions,
      accounts: plan.accounts.length + conversions,
      leads: plan.leads.length,
      // The three of the seed, and the default one the sales service makes for converted leads.
      pipelines: 4,
      deals: plan.deals.length + conversions,
      orders: plan.orders.length + won,
      'sales-teams': 2,
      'sales-reps': plan.reps.length,
      'sales-quotas': plan.reps.length * 10,
    };
    // The sales service opens the converted leads' deals by itself, after the conversions answered.
    await waitFor(async () => (await listAll(platform, 'deals', first.position)).length === expected.deals, async () => `deals: ${(await listAll(platform, 'deals', first.position)).length}`, 60_000);
    expect(await counts(platform, first.position)).toEqual(expected);

    const customers = (await listAll(platform, `contacts?tag=b2b`, first.position)).length;
    expect(customers).toBe(plan.customers.filter((c) => c.tags.includes('b2b')).length);
    const revenue = await listAll(platform, 'customer-revenue', first.position);
    expect(revenue.length).toBeGreaterThanOrEqual(CUSTOMERS);
  });

  it('creates nothing when run again with the same seed', async () => {
    const before = await storedEvents(platform.services.contacts);
    const again = await seed(platform);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing new: this seed was already there');
    expect(again.stderr).toMatch(/seed \|.*\| 100 % \|/);
    expect(await storedEvents(platform.services.contacts)).toEqual(before);
    expect(await counts(platform, first.position)).toEqual(expected);
    // Every row of the summary: nothing new, and as many already there as the first run made.
    const rows = again.stdout.split('\n').filter((line) => /\S\s{2,}[\d,]+\s{2,}[\d,]+$/.test(line));
    expect(rows.map((row) => row.split(/\s{2,}/).slice(1).map((n) => Number(n.replace(/,/g, ''))))).toEqual(SEED_KINDS.map((k) => [0, first.counts[k].created]));
  });

  it('says what it needs, and what it could not reach, and exits 1', async () => {
    expect((await runCli(['seed', '--customers', '3'], {})).stderr).toContain('seed writes through the public API: --url and --api-key');
    expect((await runCli(['seed', '--customers', '3', '--seed', 'a b', '--url', platform.url, '--api-key', 'k'], {})).stderr).toContain('--seed must be 1 to 40 letters');
    expect((await runCli(['seed', '--customers', '3', '--until', '2026-13-01', '--url', platform.url, '--api-key', 'k'], {})).stderr).toContain('--until must be a day, YYYY-MM-DD');
    const down = await runCli(['seed', '--customers', '3', '--url', 'http://127.0.0.1:1', '--api-key', 'k'], {});
    expect([down.code, down.stderr]).toEqual([1, expect.stringContaining('could not reach the gateway at http://127.0.0.1:1 (--url)')]);
    const refused = await runCli(['seed', '--customers', '3', '--url', platform.url, '--api-key', 'not-a-key'], {});
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('the gateway answered 401')]);
  });

  it('makes the same data on a fresh platform with the same seed', async () => {
    const here = await snapshot(platform, first.position);
    expect((here.contacts as string[]).length).toBe(expected.contacts);
    expect((here.contacts as string[]).some((c) => c.includes(plan.customers[0].emails[0]) && c.includes(plan.customers[0].familyName))).toBe(true);
    expect((here.orders as string[]).some((o) => o.includes(`"amount":"${(plan.orders[0].data as { amount: number }).amount}`))).toBe(true);
    await platform.close();
    platform = await bootGatewayPlatform([contactsService, salesService]);
    const run = await seed(platform, '--json');
    const result = JSON.parse(run.stdout) as SeedResult;
    expect(result.counts).toEqual(first.counts);
    await waitFor(async () => (await listAll(platform, 'deals', result.position)).length === expected.deals, () => 'the converted leads\' deals', 60_000);
    expect(await snapshot(platform, result.position)).toEqual(here);
  });
});
