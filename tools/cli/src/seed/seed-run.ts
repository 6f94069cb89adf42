import type { IngestMessage } from '@clientela/contracts';
import { callGateway, GatewayProblemError, type GatewayAnswer } from '../target';
import type { ContactRef, DemoData } from './demo-data';

/** What the seed made, per kind: new now, or there from an earlier run with the same seed. */
export interface SeedCounts {
  created: number;
  existing: number;
}

export const SEED_KINDS = ['salesTeams', 'salesReps', 'quotas', 'accounts', 'customers', 'orders', 'refunds', 'profiles', 'stageChanges', 'consents', 'prospects', 'leads', 'qualifications', 'conversions', 'pipelines', 'deals', 'dealMoves', 'dealsClosed'] as const;
export type SeedKind = (typeof SEED_KINDS)[number];

export interface SeedResult {
  counts: Record<SeedKind, SeedCounts>;
  /** The highest X-Position answered: send it as X-Min-Position to read everything the seed wrote. */
  position: string;
  /** Deals the sales service opens by itself for converted leads (after the seed answers). */
  dealsFromConversions: number;
}

export interface SeedTarget {
  url: string;
  apiKey: string;
}

interface Answer {
  status: number;
  replayed: boolean;
  body: Record<string, unknown>;
}

const INGEST_BATCH = 1_000;

/** Writes operations over HTTP at the gateway (`/api/v1/...`), each with its Idempotency-Key. */
class GatewayWriter {
  position = 0n;

  constructor(private readonly target: SeedTarget) {}

  async send(method: 'POST' | 'PUT' | 'PATCH', path: string, body: unknown, idempotencyKey?: string): Promise<Answer> {
    let answer: GatewayAnswer;
    try {
      answer = await callGateway(this.target, `/api/v1/${path}`, { method, json: body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });
    } catch (error) {
      if (!(error instanceof GatewayProblemError)) throw error;
      throw new GatewayProblemError(error.status, { ...error.problem, detail: `${method} /api/v1/${path}: ${String(error.problem.detail ?? error.problem.title ?? 'no detail')}` });
    }
    const position = answer.headers.get('x-position');
    if (position && /^\d+$/.test(position) && BigInt(position) > this.position) this.position = BigInt(position);
    return { status: answer.status, replayed: answer.headers.get('idempotency-replayed') === 'true', body: answer.body };
  }
}

/** Runs `work` over the items with at most `limit` in flight; the first failure stops the rest. */
const eachConcurrently = async <T>(limit: number, items: readonly T[], work: (item: T, index: number) => Promise<void>): Promise<void> => {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

/** How many writes the seed sends: the progress bar's total (an ingest message counts as one). */
export const seedWrites = (data: DemoData): number =>
  data.teams.length +
  data.reps.reduce((n, r) => n + 1 + r.quotas.length, 0) +
  data.accounts.length +
  data.orders.length +
  data.refunds.length +
  data.customers.reduce((n, c) => n + 1 + (c.stage === 'customer' ? 0 : 1) + (c.marketingConsent ? 1 : 0), 0) +
  data.prospects.length +
  data.leads.reduce((n, l) => n + 1 + (l.qualification ? 1 : 0) + (l.convertedBy ? 1 : 0), 0) +
  data.pipelines.length +
  data.deals.reduce((n, d) => n + 1 + d.moves.length + (d.outcome ? 1 : 0), 0);

/**
 * Writes the demo data set through the gateway's public API, as any client would. Every write carries an
 * Idempotency-Key made of the seed and what it writes, and every ingest message an id made of them too,
 * so a second run with the same seed creates nothing: the services answer the first answer again.
 */
export const runSeed = async (data: DemoData, target: SeedTarget, options: { concurrency: number; onProgress?: (writes: number) => void }): Promise<SeedResult> => {
  const writer = new GatewayWriter(target);
  const counts = Object.fromEntries(SEED_KINDS.map((k) => [k, { created: 0, existing: 0 }])) as Record<SeedKind, SeedCounts>;
  const key = (...parts: Array<string | number>) => ['seed', data.seed, ...parts].join(':');
  const progress = (n = 1) => options.onProgress?.(n);
  const write = async (kind: SeedKind, method: 'POST' | 'PUT' | 'PATCH', path: string, body: unknown, idempotencyKey: string): Promise<Answer> => {
    const answer = await writer.send(method, path, body, idempotencyKey);
    counts[kind][answer.replayed ? 'existing' : 'created']++;
    progress();
    return answer;
  };
  const idOf = (answer: Answer): string => String(answer.body.id);
  const each = <T>(items: readonly T[], work: (item: T, index: number) => Promise<void>) => eachConcurrently(options.concurrency, items, work);

  // The sales organisation and the pipelines.
  const teamIds: string[] = [];
  for (const [i, name] of data.teams.entries()) teamIds.push(idOf(await write('salesTeams', 'POST', 'sales-teams', { name }, key('team', i))));
  await each(data.reps, async (rep, i) => {
    await write('salesReps', 'POST', 'sales-reps', { id: rep.id, name: rep.name, email: rep.email, teamId: teamIds[rep.team] }, key('rep', i));
    for (const quota of rep.quotas) await write('quotas', 'PUT', `sales-reps/${rep.id}/quotas/${quota.period}`, { amount: quota.amount, currency: 'EUR' }, key('rep', i, 'quota', quota.period));
  });
  const pipelineIds: string[] = [];
  for (const [i, pipeline] of data.pipelines.entries()) pipelineIds.push(idOf(await write('pipelines', 'POST', 'pipelines', pipeline, key('pipeline', i))));
  const accountIds: string[] = new Array<string>(data.accounts.length);
  await each(data.accounts, async (account, i) => {
    const { locale: _locale, ...body } = account;
    accountIds[i] = idOf(await write('accounts', 'POST', 'accounts', body, key('account', i)));
  });

  // Two years of orders, then the refunds, through ingest: the shop's customers become contacts there.
  const contactOfCustomer = new Map<string, string>();
  const ingest = async (kind: 'orders' | 'refunds', messages: readonly IngestMessage[]) => {
    const batches: IngestMessage[][] = [];
    for (let i = 0; i < messages.length; i += INGEST_BATCH) batches.push(messages.slice(i, i + INGEST_BATCH));
    // Two in flight: the contacts service plans each batch as one atomic append.
    await eachConcurrently(Math.min(2, options.concurrency), batches, async (batch) => {
      const answer = await writer.send('POST', 'events', batch);
      const results = answer.body.results as Array<{ index: number; status: string; contactId?: string; created?: boolean; detail?: string }>;
      for (const result of results) {
        const message = batch[result.index];
        if (result.status === 'rejected') throw new GatewayProblemError(422, { detail: `the contacts service refused ${message.id}: ${result.detail ?? 'no detail'}` });
        counts[kind][result.status === 'accepted' ? 'created' : 'existing']++;
        const externalId = message.customer.externalId as string;
        if (result.contactId) contactOfCustomer.set(externalId, result.contactId);
        if (kind === 'orders' && result.created) counts.customers.created++;
      }
      progress(batch.length);
    });
  };
  await ingest('orders', data.orders);
  await ingest('refunds', data.refunds);
  counts.customers.existing = data.customers.length - counts.customers.created;
  const customerIds = data.customers.map((c) => {
    const id = contactOfCustomer.get(c.externalId);
    if (!id) throw new GatewayProblemError(502, { detail: `the contacts service named no contact for customer ${c.externalId}` });
    return id;
  });

  // The customers' profiles (names, emails, address, owner, company), stages and consents.
  await each(data.customers, async (customer, i) => {
    const id = customerIds[i];
    const { externalId: _e, stage, marketingConsent, account, phone: _p, currency: _c, ...profile } = customer;
    await write('profiles', 'PATCH', `contacts/${id}`, { ...profile, preferredChannel: 'email', ...(account !== undefined ? { accountId: accountIds[account] } : {}) }, key('customer', i, 'profile'));
    if (stage !== 'customer') await write('stageChanges', 'PUT', `contacts/${id}/lifecycle-stage`, { stage, reason: stage === 'churned' ? 'no order for a year' : 'frequent buyer, recommends us' }, key('customer', i, 'stage'));
    if (marketingConsent) await write('consents', 'PUT', `contacts/${id}/consents/email/marketing`, { granted: true, source: 'demo-shop' }, key('customer', i, 'consent'));
  });

  const prospectIds: string[] = new Array<string>(data.prospects.length);
  await each(data.prospects, async (prospect, i) => {
    const { stage, marketingConsent, account, phone, currency: _c, ...profile } = prospect;
    const body = {
      ...profile,
      phones: [phone],
      lifecycleStage: stage,
      ...(account !== undefined ? { accountId: accountIds[account] } : {}),
      ...(marketingConsent ? { consents: [{ channel: 'email', purpose: 'marketing', source: 'web-form' }] } : {}),
    };
    prospectIds[i] = idOf(await write('prospects', 'POST', 'contacts', body, key('prospect', i)));
  });

  await each(data.leads, async (lead, i) => {
    const { qualification, convertedBy, ...capture } = lead;
    const id = idOf(await write('leads', 'POST', 'leads', capture, key('lead', i)));
    if (qualification) await write('qualifications', 'PUT', `leads/${id}/qualification`, qualification, key('lead', i, 'qualification'));
    if (convertedBy) await write('conversions', 'POST', `leads/${id}/convert`, { ownerId: convertedBy }, key('lead', i, 'convert'));
  });

  const contactOf = (ref: ContactRef): string => (ref.kind === 'customer' ? customerIds[ref.index] : prospectIds[ref.index]);
  await each(data.deals, async (deal, i) => {
    const { contact, account, pipeline, moves, outcome, ...fields } = deal;
    const body = { ...fields, customerId: contactOf(contact), pipelineId: pipelineIds[pipeline], ...(account !== undefined ? { accountId: accountIds[account] } : {}) };
    const id = idOf(await write('deals', 'POST', 'deals', body, key('deal', i)));
    for (const stageId of moves) await write('dealMoves', 'POST', `deals/${id}/stage`, { stageId }, key('deal', i, 'stage', stageId));
    if (outcome) await write('dealsClosed', 'POST', `deals/${id}/${outcome.won ? 'win' : 'lose'}`, { reason: outcome.reason }, key('deal', i, 'close'));
  });

  return { counts, position: writer.position.toString(), dealsFromConversions: data.leads.filter((l) => l.convertedBy).length };
};
