import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { INGEST_TOPIC } from '@clientela/contracts';
import { busEnv, SERVICES, startPlatformProcess, type PlatformProcess } from '@clientela/launcher';
import { createTestDatabase, deleteTestTopics, freePort, freePortRange, groupCaughtUp, platformTopics, testKafka, type TestDatabase } from '@clientela/testing';

// The proof of erasure (issue 9), on the platform as `npm start` runs it (contacts, sales, analytics
// and the gateway as processes, one database), in each bus mode. One person gets distinctive personal
// values everywhere they can go (profile, address, custom field, identities, ingested orders, a refund
// reason, call notes, a lead converted and its deal lost with a reason, a merged duplicate, a search
// by email in the logs, in Kafka mode a dead-lettered ingest message); the person is erased; then every
// table of every schema, every topic read from its beginning and the platform's log hold none of those
// values, in clear or in base64, while order counts and revenue stay; and again after every projection
// is rebuilt from the store.
const ADMIN_KEY = 'e2e-erasure-admin-key-0123456789abcdefghijklmnopq';
const brokers = (): string[] => (process.env.KAFKA_BROKERS ?? '').split(',');
// The API's answers, of many shapes, read field by field in the test.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Generous: the machine the tests share can be slow; each wait ends as soon as its condition holds.
const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> => {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await sleep(250)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
};

/** Each personal value as it may be stored: in clear (any case) or in base64 (standard or URL-safe). */
const formsOf = (value: string): string[] => {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  return [value.toLowerCase(), base64, base64.replace(/=+$/, ''), Buffer.from(value, 'utf8').toString('base64url')];
};
const hitsIn = (text: string, values: readonly string[]): string[] => {
  const lower = text.toLowerCase();
  return values.filter((value) => formsOf(value).some((form, i) => (i === 0 ? lower.includes(form) : text.includes(form))));
};

describe.each(['standalone', 'kafka'] as const)('erasure of a person, everywhere (%s)', (bus) => {
  let database: TestDatabase;
  let platform: PlatformProcess | undefined;
  let base: string;
  let dataDir: string;
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  // Personal values carry `tok`; ids and other non-personal values never do.
  const tok = randomBytes(5).toString('hex');
  const person = {
    givenName: `Wren${tok}`,
    familyName: `Quillfeather${tok}`,
    email: `wren.${tok}@fastmail.com`,
    duplicateEmail: `quill.${tok}@posteo.net`,
    leadEmail: `w.quill.${tok}@gmx.net`,
    phone: `+49151${randomInt(10_000_000, 99_999_999)}`,
    street: `${tok} Lantern Lane 7`,
    nickname: `Birdie${tok}`,
    externalId: `shop-${tok}`,
    refundReason: `the parcel for Wren ${tok} came torn`,
    callNotes: `Wren ${tok} called about her knee surgery`,
    lostReason: `Wren ${tok} chose a rival`,
    deadLetterNotes: `dead letter notes of ${tok}`,
  };
  const values = Object.values(person);
  let contactId: string;
  let duplicateId: string;
  let leadContactId: string;
  let dealId: string;
  let amountsBefore: string[];

  beforeAll(async () => {
    database = await createTestDatabase('clientela_erasure_e2e');
    dataDir = mkdtempSync(join(tmpdir(), 'clientela-erasure-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}/api/v1`;
    platform = await startPlatformProcess({
      DATABASE_URL: database.url,
      PORT: String(port),
      CLIENTELA_SERVICE_PORT_BASE: String((await freePortRange(SERVICES.length)) - 1),
      CLIENTELA_DATA_DIR: dataDir,
      ADMIN_API_KEY: ADMIN_KEY,
      // Request lines are logged at info: the search below looks through them too.
      LOG_LEVEL: 'info',
      ...busEnv(bus, prefix),
    });
  });

  afterAll(async () => {
    if (platform) expect(await platform.stop()).toBe(0);
    if (bus === 'kafka') await deleteTestTopics(brokers(), platformTopics(prefix)).catch(() => undefined);
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text !== '' && /json/.test(response.headers.get('content-type') ?? '') ? (JSON.parse(text) as Json) : {} };
  };
  const ok = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, status = method === 'POST' ? 201 : 200) => {
    const response = await call(method, path, body, headers);
    expect([response.status, response.body]).toEqual([status, expect.anything()]);
    return response;
  };

  const message = (id: string, type: string, customer: Record<string, string>, data: Record<string, unknown>) => ({ id, type, occurredAt: '2026-11-20T10:00:00Z', source: 'shop', customer, data });
  const order = (id: string, customer: Record<string, string>, amount: number) => message(id, 'OrderPlaced', customer, { orderId: id, lines: [{ sku: 'tea', quantity: 1, unitPrice: amount }], amount, currency: 'EUR' });

  const orderAmounts = (events: Array<{ type: string; data: { amount?: string } }>): string[] => events.filter((e) => e.type === 'CustomerOrderPlaced').map((e) => String(e.data.amount)).sort();

  /** Every row of every table of every schema, as text. */
  const tablesHolding = async (): Promise<string[]> => {
    const pool = database.pool();
    const { rows: tables } = await pool.query<{ s: string; t: string }>(
      `select table_schema as s, table_name as t from information_schema.tables
        where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`,
    );
    expect(tables.map((t) => `${t.s}.${t.t}`)).toEqual(expect.arrayContaining(['event_store.events', 'proj_contacts.contacts', 'proj_deals.deals', 'privacy.data_keys', 'messaging.dead_letters']));
    const found: string[] = [];
    for (const { s, t } of tables) {
      const { rows } = await pool.query<{ row: string }>(`select x::text as row from "${s}"."${t}" x`);
      for (const { row } of rows) for (const value of hitsIn(row, values)) found.push(`${s}.${t}: ${value}`);
    }
    return found;
  };

  /** Every message (key, value, headers) of every topic of the platform, from its beginning. */
  const topicsHolding = async (): Promise<string[]> => {
    if (bus !== 'kafka') return [];
    const kafka = testKafka(brokers());
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    const wanted = new Map<string, bigint>();
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) wanted.set(`${topic}:${p.partition}`, BigInt(p.high));
    await admin.disconnect();
    expect(topics).toEqual(expect.arrayContaining([`${prefix}clientela.contacts.events`, `${prefix}clientela.sales.events`, `${prefix}${INGEST_TOPIC}`, `${prefix}${INGEST_TOPIC}.dlq`]));
    const found: string[] = [];
    if (wanted.size === 0) return found;
    const consumer = kafka.consumer({ groupId: `erasure-search-${randomBytes(6).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message: m }) => {
        const text = [m.key?.toString('utf8') ?? '', m.value?.toString('utf8') ?? '', ...Object.values(m.headers ?? {}).map((h) => String(h))].join('\n');
        for (const value of hitsIn(text, values)) found.push(`${topic}: ${value}`);
        const end = wanted.get(`${topic}:${partition}`);
        if (end !== undefined && BigInt(m.offset) + 1n >= end) wanted.delete(`${topic}:${partition}`);
      },
    });
    await waitFor('every topic read to its end', async () => wanted.size === 0, 120_000);
    await consumer.disconnect();
    return found;
  };

  const customerBase = async () => {
    const revenue = await ok('GET', '/customer-revenue?limit=500&sort=net');
    const segments = await ok('GET', '/analytics/segments?asOf=2026-12-31&currency=EUR');
    return { revenue: revenue.body.items, segments: segments.body };
  };
  let before: Awaited<ReturnType<typeof customerBase>>;

  it('gives one person personal values in every place there is, and reads them back whole through the export', async () => {
    // The shop's customer arrives by ingest (orders, a refund with its reason, a call with notes); two other customers make the base whose figures must not change.
    const ingested = await ok('POST', '/events', [
      order(`o1-${prefix}`, { email: person.email, phone: person.phone, externalId: person.externalId }, 40),
      order(`o2-${prefix}`, { phone: person.phone }, 25.5),
      order(`o3-${prefix}`, { email: person.duplicateEmail }, 12),
      message(`r1-${prefix}`, 'OrderRefunded', { email: person.email }, { orderId: `o1-${prefix}`, amount: 5, currency: 'EUR', reason: person.refundReason }),
      message(`c1-${prefix}`, 'CallLogged', { externalId: person.externalId }, { callId: `c1-${prefix}`, direction: 'inbound', durationSeconds: 300, notes: person.callNotes }),
      order(`o4-${prefix}`, { email: `someone.else.${prefix}@fastmail.com` }, 99),
      order(`o5-${prefix}`, { email: `another.one.${prefix}@fastmail.com` }, 10),
    ], {}, 200);
    expect(ingested.body.results.map((r: { status: string }) => r.status)).toEqual(Array(7).fill('accepted'));
    contactId = ingested.body.results[0].contactId;
    duplicateId = ingested.body.results[2].contactId;
    expect(ingested.body.results.slice(0, 5).map((r: { contactId: string }) => r.contactId)).toEqual([contactId, contactId, duplicateId, contactId, contactId]);

    // Then given a profile, an address, a custom value and a consent through the API (an idempotent write).
    await ok('POST', '/custom-fields', { key: 'nickname', label: 'Nickname', type: 'text' });
    await ok('PATCH', `/contacts/${contactId}`, { givenName: person.givenName, familyName: person.familyName, address: { line1: person.street, city: 'Lyon', country: 'FR' }, customFields: { nickname: person.nickname } }, { 'idempotency-key': `erasure-${prefix}` }, 200);
    await ok('PUT', `/contacts/${contactId}/consents/email/marketing`, { granted: true, source: 'signup-form' }, {}, 200);
    await ok('PATCH', `/contacts/${duplicateId}`, { givenName: person.givenName }, {}, 200);

    // A lead of the same person, converted into a contact whose deal (opened by sales' reaction) is lost with a reason.
    const lead = await ok('POST', '/leads', { source: 'webinar', givenName: person.givenName, familyName: person.familyName, email: person.leadEmail });
    await ok('PUT', `/leads/${lead.body.id}/qualification`, { status: 'qualified', score: 70 }, {}, 200);
    leadContactId = (await ok('POST', `/leads/${lead.body.id}/convert`, {}, {}, 200)).body.contactId;
    await waitFor('the deal of the converted lead', async () => ((await call('GET', `/deals?customer=${leadContactId}`)).body.items?.length ?? 0) > 0);
    dealId = (await call('GET', `/deals?customer=${leadContactId}`)).body.items[0].id;
    await ok('POST', `/deals/${dealId}/lose`, { reason: person.lostReason }, {}, 200);

    // The same person twice: merged (the duplicate and the lead's contact into the first).
    await ok('POST', `/contacts/${contactId}/merge`, { duplicateId }, {}, 200);
    const merged = await ok('POST', `/contacts/${contactId}/merge`, { duplicateId: leadContactId }, {}, 200);
    // A search by email: its request line is logged.
    await ok('GET', `/contacts?email=${encodeURIComponent(person.email)}`, undefined, { 'x-min-position': merged.headers.get('x-position')! });

    if (bus === 'kafka') {
      // A message on the ingest topic that breaks the contract (a negative duration): dead-lettered, with the person's email and notes in it.
      const producer = testKafka(brokers()).producer();
      await producer.connect();
      await producer.send({ topic: `${prefix}${INGEST_TOPIC}`, messages: [{ key: `shop:${person.email}`, value: JSON.stringify(message(`bad-${prefix}`, 'CallLogged', { email: person.email }, { callId: 'x', direction: 'inbound', durationSeconds: -1, notes: person.deadLetterNotes })) }] });
      await producer.disconnect();
      await waitFor('the ingest group to pass the bad message', () => groupCaughtUp(brokers(), `${prefix}clientela.contacts.ingest`, `${prefix}${INGEST_TOPIC}`));
    }

    const exported = await ok('GET', `/contacts/${duplicateId}/export`);
    expect(exported.body).toMatchObject({ contactId: duplicateId, survivor: contactId, erased: false, leadIds: [lead.body.id] });
    expect([...exported.body.contacts].sort()).toEqual([contactId, duplicateId, leadContactId].sort());
    expect(exported.body.profile).toMatchObject({ id: contactId, givenName: person.givenName, customFields: { nickname: person.nickname } });
    expect(exported.body.profile.emails).toEqual(expect.arrayContaining([person.email, person.duplicateEmail, person.leadEmail]));
    const types = new Set(exported.body.events.map((e: { type: string }) => e.type));
    for (const type of ['ContactRegistered', 'CustomerOrderPlaced', 'CustomerOrderRefunded', 'CustomerCallLogged', 'LeadCaptured', 'DealLost', 'ContactMerged']) expect(types).toContain(type);
    expect(hitsIn(exported.text, values).sort()).toEqual(values.filter((v) => v !== person.deadLetterNotes).sort());
    amountsBefore = orderAmounts(exported.body.events);
    expect(amountsBefore).toHaveLength(3);

    // The figures of the customer base, once sales and analytics have every order: three customers,
    // the duplicate's order counted as the person's in both (merges are honoured).
    await waitFor('sales and analytics to hold the five orders', async () => {
      const base = await customerBase();
      return base.revenue.reduce((n: number, r: { orderCount: number }) => n + r.orderCount, 0) === 5 && base.revenue.length === 3 && base.segments.customers === 3;
    });
    before = await customerBase();
    expect(hitsIn(JSON.stringify(before), values)).toEqual([]);

    // The searches find what is there: the read models hold the values, the ingest topic the message sent in clear, the log the masked search.
    expect(await tablesHolding()).toEqual(expect.arrayContaining([`proj_contacts.contact_emails: ${person.email}`, `proj_contacts.contacts: ${person.givenName}`, `proj_deals.deals: ${person.lostReason}`]));
    if (bus === 'kafka') expect(await topicsHolding()).toEqual(expect.arrayContaining([`${prefix}${INGEST_TOPIC}: ${person.deadLetterNotes}`]));
    expect(platform!.output()).toContain('/api/v1/contacts?email=*');
  }, 420_000);

  it('erases the person for an admin key only, once, and the same request again answers the same', async () => {
    const service = await ok('POST', '/admin/api-keys', { name: `shop-${prefix}`, role: 'service' });
    expect((await call('POST', `/contacts/${contactId}/erasure`, undefined, { 'x-api-key': service.body.key })).status).toBe(403);
    expect((await call('GET', `/contacts/${contactId}/export`, undefined, { 'x-api-key': service.body.key })).status).toBe(403);
    expect((await call('POST', '/contacts/4a4b5c6d-0000-4000-8000-000000000000/erasure')).status).toBe(404);

    // Named by its merged duplicate: the person is the survivor and everyone merged into it.
    const first = await ok('POST', `/contacts/${duplicateId}/erasure`, undefined, {}, 200);
    expect([...first.body.erased].sort()).toEqual([contactId, duplicateId, leadContactId].sort());
    expect(first.body.leadIds).toHaveLength(1);
    const again = await ok('POST', `/contacts/${contactId}/erasure`, undefined, {}, 200);
    expect({ ...again.body, id: duplicateId }).toEqual(first.body);

    const position = first.headers.get('x-position')!;
    const view = await ok('GET', `/contacts/${contactId}`, undefined, { 'x-min-position': position });
    expect(view.body).toMatchObject({ givenName: '[erased]', familyName: '[erased]', emails: [], phones: [], identities: [], customFields: {}, address: expect.objectContaining({ line1: null }) });
    await waitFor('sales to scrub the lost deal', async () => (await call('GET', `/deals/${dealId}`)).body.closeReason === '[erased]');
    // Nothing more is written for an erased contact.
    expect((await call('PATCH', `/contacts/${contactId}`, { tags: ['vip'] })).body).toMatchObject({ status: 422, rule: 'contact_erased' });
  }, 240_000);

  it('refuses what arrives later for the erased identity, item by item, while the rest of the batch goes through', async () => {
    const later = await ok('POST', '/events', [
      order(`o6-${prefix}`, { email: person.email }, 7),
      message(`e1-${prefix}`, 'EmailOpened', { email: `someone.else.${prefix}@fastmail.com` }, { messageId: 'm-1' }),
      message(`c2-${prefix}`, 'CallLogged', { phone: person.phone }, { callId: 'c2', direction: 'outbound', durationSeconds: 20, notes: person.callNotes }),
    ], {}, 200);
    expect(later.body.results.map((r: { status: string; code?: string }) => r.code ?? r.status)).toEqual(['subject_erased', 'accepted', 'subject_erased']);
    expect(hitsIn(later.text, values)).toEqual([]);

    if (bus === 'kafka') {
      const producer = testKafka(brokers()).producer();
      await producer.connect();
      await producer.send({ topic: `${prefix}${INGEST_TOPIC}`, messages: [{ key: `shop:${person.email}`, value: JSON.stringify(order(`o7-${prefix}`, { email: person.email }, 3)) }] });
      await producer.disconnect();
      await waitFor('the ingest group to pass the later message', () => groupCaughtUp(brokers(), `${prefix}clientela.contacts.ingest`, `${prefix}${INGEST_TOPIC}`));
      const letters = await ok('GET', `/admin/dead-letters?topic=${encodeURIComponent(`${prefix}${INGEST_TOPIC}`)}`);
      // Dead letters are at least once: a redelivered batch can write one again.
      expect([...new Set(letters.body.items.map((l: { code: string }) => l.code))].sort()).toEqual(['invalid_ingest_message', 'subject_erased']);
      // Consumed ingest records are deleted on each erasure (the topic is written in clear by senders).
      await ok('POST', `/contacts/${contactId}/erasure`, undefined, {}, 200);
    }
  }, 240_000);

  it('leaves no personal value of the person in any table, topic or log line, and the customer base unchanged', async () => {
    expect(await customerBase()).toEqual(before);
    expect(await tablesHolding()).toEqual([]);
    expect(await topicsHolding()).toEqual([]);
    expect(hitsIn(platform!.output(), values)).toEqual([]);
    const exported = await ok('GET', `/contacts/${contactId}/export`);
    expect(exported.body.erased).toBe(true);
    expect(orderAmounts(exported.body.events)).toEqual(amountsBefore);
    expect(hitsIn(exported.text, values)).toEqual([]);
  }, 360_000);

  it('rebuilds every projection from the store with erased markers, and still holds none', async () => {
    const projections = (await ok('GET', '/admin/projections')).body.items as Array<{ name: string; updatedAt: string }>;
    expect(projections.map((p) => p.name)).toEqual(expect.arrayContaining(['contacts', 'leads', 'deals', 'orders', 'analytics_purchases']));
    for (const { name } of projections) await ok('POST', `/admin/projections/${name}/rebuild`, undefined, {}, 202);
    await waitFor(
      'every rebuild to be swapped in',
      async () => ((await call('GET', '/admin/projections')).body.items as Array<{ rebuildRequestedAt?: string; rebuild?: unknown; status: string }>).every((p) => !p.rebuildRequestedAt && !p.rebuild && p.status === 'live'),
      300_000,
    );
    expect(await customerBase()).toEqual(before);
    const view = await ok('GET', `/contacts/${contactId}`);
    expect(view.body).toMatchObject({ givenName: '[erased]', emails: [], phones: [] });
    expect(await tablesHolding()).toEqual([]);
    expect(await topicsHolding()).toEqual([]);
    expect(hitsIn(platform!.output(), values)).toEqual([]);
  }, 600_000);
});
