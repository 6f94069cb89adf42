import type { IngestMessage } from '@clientela/contracts';
import { Random, seededId } from './random';
import {
  COMPANY_WORDS,
  DEAL_PRODUCTS,
  DISQUALIFY_REASONS,
  INDUSTRIES,
  LEAD_SOURCES,
  LOCALES,
  LOSS_REASONS,
  PIPELINES,
  REFUND_REASONS,
  REP_NAMES,
  SHOP_PRODUCTS,
  TEAMS,
  WIN_REASONS,
  type Locale,
} from './vocabulary';

/** The shop that sends the orders: the ingest source of every order and refund. */
export const DEMO_SHOP = 'demo-shop';
const DAY = 86_400_000;

export interface DemoAddress {
  line1: string;
  city: string;
  postalCode: string;
  region: string;
  country: string;
}

export interface DemoRep {
  /** Deals name it as their owner; derived from the seed, so every run registers the same rep. */
  id: string;
  name: string;
  email: string;
  team: number;
  /** Quarterly quotas in EUR, `2026-Q3` → "60000.00". */
  quotas: Array<{ period: string; amount: string }>;
}

export interface DemoAccount {
  name: string;
  domain: string;
  industry: string;
  size: '1-10' | '11-50' | '51-200' | '201-1000' | '1001-5000' | '5000+';
  address: DemoAddress;
  ownerId: string;
  locale: Locale['country'];
}

export interface DemoPerson {
  givenName: string;
  familyName: string;
  emails: string[];
  phone: string;
  language: string;
  address: DemoAddress;
  tags: string[];
  ownerId?: string;
  /** Index into `accounts`. */
  account?: number;
  currency: Locale['currency'];
}

/** A shop customer: the contact is made by its first order (ingest), then given a profile. */
export interface DemoCustomer extends DemoPerson {
  externalId: string;
  stage: 'customer' | 'evangelist' | 'churned';
  marketingConsent: boolean;
}

/** Someone known to marketing or sales who has not bought: registered through the contacts API. */
export interface DemoProspect extends DemoPerson {
  stage: 'subscriber' | 'lead' | 'mql' | 'sql' | 'opportunity';
  marketingConsent: boolean;
}

export interface DemoLead {
  source: string;
  givenName: string;
  familyName: string;
  email: string;
  phone?: string;
  companyName: string;
  acquisitionCost?: { amount: string; currency: string };
  qualification?: { status: 'working' | 'qualified' | 'disqualified'; score: number; reason?: string };
  /** Converted into a contact and an account by this rep (the sales service then opens a deal). */
  convertedBy?: string;
}

export type ContactRef = { kind: 'customer'; index: number } | { kind: 'prospect'; index: number };

export interface DemoDeal {
  name: string;
  contact: ContactRef;
  account?: number;
  pipeline: number;
  currency: string;
  ownerId: string;
  expectedCloseDate: string;
  lines: Array<{ productId: string; name: string; quantity: number; unitPrice: string; discount?: string }>;
  /** Stages it moves to after opening in the first, in order. */
  moves: string[];
  outcome?: { won: true; reason: string } | { won: false; reason: string };
}

export interface DemoData {
  seed: string;
  /** The first and the last day of the two years of orders (UTC, YYYY-MM-DD). */
  from: string;
  until: string;
  teams: string[];
  reps: DemoRep[];
  accounts: DemoAccount[];
  customers: DemoCustomer[];
  /** OrderPlaced messages, oldest first. */
  orders: IngestMessage[];
  /** OrderRefunded messages, oldest first. */
  refunds: IngestMessage[];
  prospects: DemoProspect[];
  leads: DemoLead[];
  pipelines: Array<{ name: string; stages: Array<{ stageId: string; name: string; probability: number }> }>;
  deals: DemoDeal[];
}

export interface DemoDataOptions {
  seed: string;
  customers: number;
  /** The last day of the data set (UTC, YYYY-MM-DD); orders run over the two years before it. */
  until: string;
}

const cents = (n: number): string => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** Letters a mailbox may hold: `Jürgen de Vries` → `jurgen.devries`. */
const mailbox = (given: string, family: string): string =>
  `${given}.${family}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z.]/g, '');
const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const quarterOf = (ms: number): string => {
  const date = new Date(ms);
  return `${date.getUTCFullYear()}-Q${Math.floor(date.getUTCMonth() / 3) + 1}`;
};

/**
 * The demo data set for a seed: a pure function of its options, so the same seed makes the same data
 * on any machine. Every thing draws from a generator of its own (`<seed>|customer|7`), so the first
 * 100 customers of `--customers 200` are those of `--customers 100`.
 */
export const planDemoData = (options: DemoDataOptions): DemoData => {
  const { seed } = options;
  const untilMs = Date.parse(`${options.until}T00:00:00Z`);
  if (!Number.isFinite(untilMs)) throw new RangeError(`until must be a day, YYYY-MM-DD (got ${options.until})`);
  const fromMs = untilMs - 730 * DAY;
  const rng = (name: string) => new Random(`${seed}|${name}`);
  const emails = new Set<string>();
  const phones = new Set<string>();
  const uniqueEmail = (r: Random, local: string, domain: string): string => {
    for (let n = 0; ; n++) {
      const email = `${local}${n === 0 ? '' : n + r.int(1, 9) * 10}@${domain}`;
      if (!emails.has(email)) return emails.add(email), email;
    }
  };
  const uniquePhone = (r: Random, locale: Locale): string => {
    for (;;) {
      const phone = locale.phone((n) => r.digits(n));
      // No runs such as 5555555 in the last digits: identity resolution takes those for placeholders.
      if (!phones.has(phone) && !/(\d)\1{5}/.test(phone.slice(-7))) return phones.add(phone), phone;
    }
  };
  const localeOf = (r: Random): Locale => r.weighted(LOCALES.map((l) => [l, l.weight] as const));
  const addressOf = (r: Random, locale: Locale): DemoAddress => {
    const [city, postalCode, region] = r.pick(locale.cities);
    const street = r.pick(locale.streets);
    const number = String(r.int(1, 180));
    return { line1: locale.country === 'GB' || locale.country === 'US' ? `${number} ${street}` : `${street} ${number}`, city, postalCode, region, country: locale.country };
  };

  // The sales organisation: two teams, a rep per 40 customers (3 to 12), quarterly quotas.
  const repCount = Math.min(REP_NAMES.length, Math.max(3, Math.round(options.customers / 40)));
  const quarters: string[] = [];
  for (let ms = fromMs; quarterOf(ms) <= quarterOf(untilMs + 92 * DAY); ms += 28 * DAY) if (!quarters.includes(quarterOf(ms))) quarters.push(quarterOf(ms));
  const reps: DemoRep[] = REP_NAMES.slice(0, repCount).map((name, i) => {
    const r = rng(`rep|${i}`);
    const base = r.int(6, 16) * 5_000;
    return {
      id: seededId(seed, `rep|${i}`),
      name,
      email: `${mailbox(...(name.split(' ') as [string, string]))}@sales.example.com`,
      team: i % TEAMS.length,
      quotas: quarters.map((period, q) => ({ period, amount: cents((base + q * 1_000) * 100) })),
    };
  });

  const accountCount = Math.max(2, Math.round(options.customers / 10));
  const names = new Set<string>();
  const accounts: DemoAccount[] = Array.from({ length: accountCount }, (_, i) => {
    const r = rng(`account|${i}`);
    const locale = localeOf(r);
    let word: string;
    let suffix: readonly [string, string];
    do {
      word = r.pick(COMPANY_WORDS);
      suffix = r.pick(INDUSTRIES);
    } while (names.has(`${word} ${suffix[0]}`));
    names.add(`${word} ${suffix[0]}`);
    return {
      name: `${word} ${suffix[0]} ${locale.legalForm}`,
      domain: `${slug(`${word} ${suffix[0]}`)}.example`,
      industry: suffix[1],
      size: r.weighted([['1-10', 15], ['11-50', 30], ['51-200', 30], ['201-1000', 15], ['1001-5000', 7], ['5000+', 3]] as const),
      address: addressOf(r, locale),
      ownerId: r.pick(reps).id,
      locale: locale.country,
    };
  });

  const person = (r: Random, locale: Locale, domain: string): Omit<DemoPerson, 'tags'> => {
    const givenName = r.pick(locale.givenNames);
    const familyName = r.pick(locale.familyNames);
    return {
      givenName,
      familyName,
      emails: [uniqueEmail(r, mailbox(givenName, familyName), domain)],
      phone: uniquePhone(r, locale),
      language: locale.language,
      address: addressOf(r, locale),
      currency: locale.currency,
    };
  };

  // Shop customers and their orders: most buy once or twice, a few often; amounts in cents; some refunds.
  const customers: DemoCustomer[] = [];
  const orders: IngestMessage[] = [];
  const refunds: IngestMessage[] = [];
  for (let i = 0; i < options.customers; i++) {
    const r = rng(`customer|${i}`);
    const locale = localeOf(r);
    const externalId = `${seed}-${String(i + 1).padStart(6, '0')}`;
    const count = r.weighted([[1, 45], [2, 20], [3, 10], [r.int(4, 6), 15], [r.int(7, 15), 8], [r.int(16, 40), 2]] as const);
    // Days before `until`: the data set ends where its last day begins.
    const first = fromMs + Math.floor(r.next() * 700 * DAY);
    const times = [first, ...Array.from({ length: count - 1 }, () => first + Math.floor(r.next() * (untilMs - DAY - first)))].sort((a, b) => a - b);
    const b2b = r.chance(0.15);
    const account = b2b ? r.int(0, accounts.length - 1) : undefined;
    const tags = [...(count >= 7 ? ['frequent-buyer'] : []), ...(b2b ? ['b2b'] : []), ...(r.chance(0.2) ? ['newsletter'] : [])];
    const base = person(r, locale, r.pick(['example.com', 'example.org', 'example.net']));
    const lastOrder = times[times.length - 1];
    const stage: DemoCustomer['stage'] = count >= 8 && r.chance(0.5) ? 'evangelist' : count >= 2 && untilMs - lastOrder > 365 * DAY ? 'churned' : 'customer';
    customers.push({
      ...base,
      externalId,
      stage,
      tags,
      marketingConsent: r.chance(0.6),
      ...(account !== undefined ? { account, ownerId: accounts[account].ownerId } : count >= 7 ? { ownerId: r.pick(reps).id } : {}),
    });
    times.forEach((time, k) => {
      const lines = Array.from({ length: r.weighted([[1, 60], [2, 25], [3, 10], [4, 5]] as const) }, () => {
        const [sku, name, price] = r.pick(SHOP_PRODUCTS);
        return { sku, name, quantity: r.weighted([[1, 80], [2, 15], [3, 5]] as const), cents: price };
      });
      const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.cents, 0);
      const orderId = `${externalId}-${k + 1}`;
      const occurredAt = new Date(time + r.int(8 * 3600, 21 * 3600) * 1000 - (time % DAY)).toISOString();
      orders.push({
        id: `order-${orderId}`,
        type: 'OrderPlaced',
        occurredAt,
        source: DEMO_SHOP,
        customer: { externalId, phone: base.phone },
        data: { orderId, lines: lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitPrice: l.cents / 100 })), amount: totalCents / 100, currency: locale.currency },
      });
      const refundAt = Date.parse(occurredAt) + r.int(2, 30) * DAY;
      if (r.chance(0.07) && refundAt < untilMs) {
        // A whole order, or one line of it.
        const refundCents = lines.length > 1 && r.chance(0.4) ? lines[0].quantity * lines[0].cents : totalCents;
        refunds.push({
          id: `refund-${orderId}`,
          type: 'OrderRefunded',
          occurredAt: new Date(refundAt).toISOString(),
          source: DEMO_SHOP,
          customer: { externalId },
          data: { orderId, amount: refundCents / 100, currency: locale.currency, reason: r.pick(REFUND_REASONS) },
        });
      }
    });
  }
  const byTime = (a: IngestMessage, b: IngestMessage) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id);
  orders.sort(byTime);
  refunds.sort(byTime);

  // Prospects: contacts at the stages before a purchase, many at a company (an account).
  const prospects: DemoProspect[] = Array.from({ length: Math.round(options.customers * 0.3) }, (_, i) => {
    const r = rng(`prospect|${i}`);
    const account = r.chance(0.6) ? r.int(0, accounts.length - 1) : undefined;
    const locale = account === undefined ? localeOf(r) : (LOCALES.find((l) => l.country === accounts[account].locale) ?? LOCALES[0]);
    const stage = r.weighted([['subscriber', 35], ['lead', 25], ['mql', 15], ['sql', 12], ['opportunity', 13]] as const);
    return {
      ...person(r, locale, account === undefined ? r.pick(['example.com', 'example.org', 'example.net']) : accounts[account].domain),
      stage,
      tags: stage === 'subscriber' ? ['newsletter'] : [],
      marketingConsent: stage === 'subscriber' || r.chance(0.4),
      ...(account !== undefined ? { account, ownerId: accounts[account].ownerId } : {}),
    };
  });

  // Leads from marketing: each source with its cost; some worked, qualified, disqualified, converted.
  const leads: DemoLead[] = Array.from({ length: Math.round(options.customers * 0.4) }, (_, i) => {
    const r = rng(`lead|${i}`);
    const locale = localeOf(r);
    const [source, , costFrom, costTo] = r.weighted(LEAD_SOURCES.map((s) => [s, s[1]] as const));
    const givenName = r.pick(locale.givenNames);
    const familyName = r.pick(locale.familyNames);
    const company = `${r.pick(COMPANY_WORDS)} ${r.pick(INDUSTRIES)[0]} ${locale.legalForm}`;
    const status = r.weighted([['new', 25], ['working', 30], ['qualified', 30], ['disqualified', 15]] as const);
    const lead: DemoLead = {
      source,
      givenName,
      familyName,
      email: uniqueEmail(r, mailbox(givenName, familyName), `${slug(company.split(' ').slice(0, 2).join(' '))}.example`),
      companyName: company,
      ...(r.chance(0.7) ? { phone: uniquePhone(r, locale) } : {}),
      ...(costTo > 0 ? { acquisitionCost: { amount: cents(r.int(costFrom, costTo)), currency: 'EUR' } } : {}),
    };
    if (status === 'working') lead.qualification = { status, score: r.int(20, 60) };
    if (status === 'qualified') lead.qualification = { status, score: r.int(60, 95) };
    if (status === 'disqualified') lead.qualification = { status, score: r.int(0, 30), reason: r.pick(DISQUALIFY_REASONS) };
    if (status === 'qualified' && r.chance(0.6)) lead.convertedBy = r.pick(reps).id;
    return lead;
  });

  // Deals with companies' people (prospects at sql or later, customers at an account), in three pipelines.
  const candidates: ContactRef[] = [
    ...prospects.flatMap((p, index) => (p.account !== undefined && (p.stage === 'sql' || p.stage === 'opportunity') ? [{ kind: 'prospect' as const, index }] : [])),
    ...customers.flatMap((c, index) => (c.account !== undefined ? [{ kind: 'customer' as const, index }] : [])),
  ];
  const fallback: ContactRef[] = customers.map((_, index) => ({ kind: 'customer' as const, index }));
  const deals: DemoDeal[] = Array.from({ length: Math.round(options.customers * 0.25) + 2 }, (_, i) => {
    const r = rng(`deal|${i}`);
    const contact = r.pick(candidates.length > 0 ? candidates : fallback);
    const who = contact.kind === 'customer' ? customers[contact.index] : prospects[contact.index];
    const pipeline = r.weighted(PIPELINES.map((p, index) => [index, p.weight] as const));
    const stages = PIPELINES[pipeline].stages.map((s) => s.stageId);
    const lines = Array.from({ length: r.weighted([[1, 50], [2, 35], [3, 15]] as const) }, () => {
      const [productId, name, price] = r.pick(DEAL_PRODUCTS);
      const quantity = r.weighted([[1, 50], [r.int(2, 5), 35], [r.int(6, 24), 15]] as const);
      const discount = r.chance(0.3) ? Math.round((quantity * price * r.int(5, 15)) / 100) : 0;
      return { productId, name, quantity, unitPrice: cents(price), ...(discount > 0 ? { discount: cents(discount) } : {}) };
    });
    const outcome = r.weighted([['won', 35], ['lost', 25], ['open', 40]] as const);
    const reached = outcome === 'won' ? stages.length - 1 : r.int(0, stages.length - 1);
    const close = outcome === 'open' ? untilMs + r.int(-20, 120) * DAY : fromMs + r.int(30, 725) * DAY;
    const account = who.account;
    return {
      name: `${account !== undefined ? accounts[account].name.split(' ').slice(0, 2).join(' ') : `${who.givenName} ${who.familyName}`}: ${lines[0].name.split(',')[0].toLowerCase()}`,
      contact,
      ...(account !== undefined ? { account } : {}),
      pipeline,
      currency: who.currency,
      ownerId: who.ownerId ?? r.pick(reps).id,
      expectedCloseDate: day(close),
      lines,
      moves: stages.slice(1, reached + 1),
      ...(outcome === 'won' ? { outcome: { won: true as const, reason: r.pick(WIN_REASONS) } } : outcome === 'lost' ? { outcome: { won: false as const, reason: r.pick(LOSS_REASONS) } } : {}),
    };
  });

  return {
    seed,
    from: day(fromMs),
    until: options.until,
    teams: [...TEAMS],
    reps,
    accounts,
    customers,
    orders,
    refunds,
    prospects,
    leads,
    pipelines: PIPELINES.map((p) => ({ name: p.name, stages: p.stages.map((s) => ({ ...s })) })),
    deals,
  };
};
