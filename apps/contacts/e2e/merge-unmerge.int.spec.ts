import pino from 'pino';
import request from 'supertest';
import type { Pool } from 'pg';
import { loadPlatformConfig, structuredLogger } from '@clientela/platform';
import { contextTopic, deadLetterTopic } from '@clientela/contracts';
import { deleteTestTopics } from '@clientela/testing';
import { createServiceApp, openServiceInfrastructure, type ServiceApp, type ServiceInfrastructure } from '@clientela/service-kit';
import { bootTestService, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { StreamNotFoundError } from '@clientela/event-store';
import type { StreamId } from '@clientela/contracts';
import { contactsService } from '../src/contacts-service';
// Two services of one platform on one database: sales reads the merges from the event store
// (standalone) or from the contacts topic (Kafka), as it does in production. Imported here, in a test of both, never by the service.
import { salesService } from '../../sales/src/sales-service';

/**
 * Merge then unmerge of two contacts with orders, refunds and activity on both: every read-model
 * row of both contacts and the event lists of all their streams are as before the merge; while
 * merged, every read model shows the duplicate through its survivor; what is ingested for the
 * duplicate's identifiers while merged counts for the survivor and goes back to its owner on unmerge.
 */
describe.each<TestBus>(['standalone', 'kafka'])('merge and unmerge (contacts and sales, %s)', (bus) => {
  let contacts: TestService;
  let salesInfra: ServiceInfrastructure;
  let sales: ServiceApp;
  let pool: Pool;
  let salesTopic: string | undefined;

  beforeAll(async () => {
    contacts = await bootTestService(contactsService, { bus });
    pool = contacts.infra.pool;
    const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    // Sales joins the contacts service's topics: the same prefix.
    const prefix = contacts.infra.topicOf('contacts').slice(0, -contextTopic('contacts').length);
    salesTopic = bus === 'kafka' ? `${prefix}${contextTopic('sales')}` : undefined;
    const config = loadPlatformConfig({
      DATABASE_URL: contacts.database.url,
      BUS: bus,
      // The contacts service's master key: sales opens what contacts sealed (and Kafka mode needs one).
      CLIENTELA_MASTER_KEY: contacts.infra.config.personalData?.masterKey,
      ...(bus === 'kafka' ? { KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: prefix } : {}),
    });
    salesInfra = await openServiceInfrastructure({ service: 'sales', config, catalogue: salesService.catalogue, logger: structuredLogger(quiet) });
    sales = await createServiceApp(salesService, salesInfra, { pino: quiet });
    await sales.app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await sales?.close();
    await contacts?.close();
    if (salesTopic) await deleteTestTopics((process.env.KAFKA_BROKERS ?? '').split(','), [salesTopic, deadLetterTopic(salesTopic)]).catch(() => undefined);
  });

  const api = () => request(contacts.server);
  const salesApi = () => request(sales.app.getHttpServer());
  let position = '0';
  const track = (answer: request.Response) => {
    if (answer.headers['x-position']) position = answer.headers['x-position'];
    return answer;
  };
  /**
   * Sales' read-your-writes waits for its orders projection only: customer_merges follows the
   * contacts topic, whose relay is another service's. Its checkpoint is awaited here.
   */
  const salesCaughtUp = async () => {
    for (let caughtUp = false; !caughtUp; await new Promise((r) => setTimeout(r, 20))) {
      caughtUp = (await pool.query("select position >= $1::numeric as ok from projections.state where name = 'customer_merges'", [position])).rows[0]?.ok === true;
    }
  };
  const revenueOf = async (id: string) => {
    await salesCaughtUp();
    return (await salesApi().get(`/api/v1/customer-revenue/${id}`).set('x-min-position', position).expect(200)).body;
  };

  /** The rows of the ranked revenue list (the whole list, not one customer's) that are these customers'. */
  const rankedRevenueOf = async (ids: string[]) => {
    await salesCaughtUp();
    const items = (await salesApi().get('/api/v1/customer-revenue?currency=EUR&limit=500').set('x-min-position', position).expect(200)).body.items as Array<{ customerId: string }>;
    return items.filter((r) => ids.includes(r.customerId));
  };
  const historyOf = async (id: string) =>
    (await api().get(`/api/v1/contacts/${id}/history`).set('x-min-position', position).expect(200)).body.items as Array<{ contactId: string; type: string; position: string }>;

  let n = 0;
  const order = (customer: Record<string, string>, amount: number) => {
    n++;
    return { id: `o-${n}`, type: 'OrderPlaced', occurredAt: `2024-05-0${(n % 9) + 1}T10:00:00Z`, source: 'shop', customer, data: { orderId: `order-${n}`, lines: [{ sku: 'A', quantity: 1, unitPrice: amount }], amount, currency: 'EUR' } };
  };
  const refund = (customer: Record<string, string>, orderId: string, amount: number) => ({ id: `r-${++n}`, type: 'OrderRefunded', occurredAt: '2024-05-09T10:00:00Z', source: 'shop', customer, data: { orderId, amount, currency: 'EUR' } });
  const visit = (customer: Record<string, string>) => ({ id: `v-${++n}`, type: 'WebPageViewed', occurredAt: '2024-05-09T11:00:00Z', source: 'web', customer, data: { url: `https://shop.example.org/p/${n}` } });
  const ingest = async (...items: unknown[]) => {
    const answer = track(await api().post('/api/v1/events').send(items).expect(200));
    for (const result of answer.body.results) expect(result.status).toBe('accepted');
    return answer.body.results as Array<{ contactId: string }>;
  };

  const ada = { externalId: 'ada-1', email: 'ada@lovelace.org' };
  const adaTwin = { externalId: 'ada-2', phone: '+4930901820' };

  /** Everything the platform holds of these contacts: read-model rows, API views, event lists. */
  const snapshot = async (ids: string[]) => {
    const rows = async (sql: string) => (await pool.query(sql, [ids])).rows.map((r) => JSON.stringify(r)).sort();
    // The API reads first: they wait for their read models to reach the last write (X-Min-Position);
    // the claims have no route, so their runner's checkpoint is awaited here.
    for (let caughtUp = false; !caughtUp; await new Promise((r) => setTimeout(r, 20))) {
      caughtUp = (await pool.query("select position >= $1::numeric as ok from projections.state where name = 'ingest_identifiers'", [position])).rows[0]?.ok === true;
    }
    const views = [];
    for (const id of ids) {
      const { revision: _r, updatedAt: _u, ...view } = (await api().get(`/api/v1/contacts/${id}`).set('x-min-position', position).expect(200)).body;
      views.push(view, await revenueOf(id));
      views.push((await salesApi().get(`/api/v1/orders?customer=${id}&limit=100`).set('x-min-position', position).expect(200)).body);
    }
    views.push(await rankedRevenueOf(ids));
    // A contact row's revision and updated_at follow its stream, which gains the merge and unmerge
    // events (the store is immutable, and If-Match must see the change); every other column counts.
    const contactRows = (await pool.query('select * from proj_contacts.contacts where id = any($1)', [ids])).rows.map(({ revision: _r, updated_at: _u, ...rest }) => JSON.stringify(rest)).sort();
    const duplicates = (await api().get('/api/v1/contacts/duplicates').set('x-min-position', position).expect(200)).body;
    const streams = (await pool.query<{ stream_id: string }>(
      "select distinct stream_id from event_store.events where data->>'customerId' = any($1) and stream_id not like 'contactDuplicate-%' order by stream_id",
      [ids],
    )).rows.map((r) => r.stream_id);
    const events: Record<string, unknown[]> = {};
    for (const stream of streams) {
      try {
        events[stream] = (await contacts.infra.store.readStream(stream as StreamId)).map((e) => ({ id: e.id, type: e.type, revision: e.revision, data: e.data }));
      } catch (error) {
        if (!(error instanceof StreamNotFoundError)) throw error;
      }
    }
    return {
      contactRows,
      children: await rows(
        `select 'email' k, contact_id, email v, ordinal::text o from proj_contacts.contact_emails where contact_id = any($1)
         union all select 'phone', contact_id, phone, ordinal::text from proj_contacts.contact_phones where contact_id = any($1)
         union all select 'tag', contact_id, tag, null from proj_contacts.contact_tags where contact_id = any($1)
         union all select 'identity', contact_id, source || ':' || external_id, null from proj_contacts.contact_identities where contact_id = any($1)
         union all select 'consent', contact_id, channel || ':' || purpose || ':' || granted, source from proj_contacts.contact_consents where contact_id = any($1)`,
      ),
      claims: await rows('select * from proj_ingest_identifiers.claims where contact_id = any($1)'),
      pairs: await rows('select * from proj_contact_duplicates.pairs where contact_id = any($1) or other_contact_id = any($1)'),
      orders: await rows('select * from proj_orders.orders where customer_id = any($1)'),
      revenue: await rows('select * from proj_orders.customer_revenue where customer_id = any($1)'),
      views,
      duplicates,
      events,
    };
  };

  let survivor: string;
  let duplicate: string;
  const contactEventsOf = (snap: Awaited<ReturnType<typeof snapshot>>, id: string) => snap.events[`contact-${id}`] as Array<{ type: string }>;

  it('gives back, event for event and row for row, what both contacts had before a merge once it is undone', async () => {
    [{ contactId: survivor }] = await ingest(order(ada, 10.5), order(ada, 20), visit({ email: ada.email }));
    [{ contactId: duplicate }] = await ingest(order(adaTwin, 7.25), visit({ phone: adaTwin.phone }), refund(adaTwin, `order-${n - 1}`, 2.25));
    expect(duplicate).not.toBe(survivor);
    // A message naming both: the two are reported as likely duplicates, nothing merged.
    await ingest({ ...visit({ email: ada.email, phone: adaTwin.phone }), source: 'web' });
    track(await api().patch(`/api/v1/contacts/${duplicate}`).send({ givenName: 'Ada', tags: ['vip'] }).expect(200));
    track(await api().put(`/api/v1/contacts/${duplicate}/consents/sms/marketing`).send({ granted: true, source: 'web-form' }).expect(200));

    const before = await snapshot([survivor, duplicate]);
    expect(before.duplicates.items).toEqual([expect.objectContaining({ reason: 'conflicting_phone' })]);
    expect(before.views[1]).toMatchObject({ revenue: [{ orderCount: 2, net: '30.5' }] });
    // In the ranked revenue list, two customers before the merge (and, compared below, after the unmerge).
    expect(before.views.at(-1)).toEqual([expect.objectContaining({ customerId: survivor, orderCount: 2 }), expect.objectContaining({ customerId: duplicate, orderCount: 1 })]);

    const merged = track(await api().post(`/api/v1/contacts/${survivor}/merge`).send({ duplicateId: duplicate }).expect(200));
    expect(merged.body).toMatchObject({ id: survivor });

    // While merged: the duplicate is read through its survivor everywhere.
    const gone = await api().get(`/api/v1/contacts/${duplicate}`).set('x-min-position', position).expect(200);
    expect(gone.body.mergedInto).toBe(survivor);
    expect(gone.headers.link).toBe(`</api/v1/contacts/${survivor}>; rel="canonical"`);
    const both = (await api().get(`/api/v1/contacts/${survivor}`).set('x-min-position', position).expect(200)).body;
    expect(both).toMatchObject({ mergedInto: null, mergedContacts: [duplicate], givenName: null, emails: [ada.email], phones: [adaTwin.phone], tags: ['vip'] });
    expect(both.identities).toEqual([{ source: 'shop', externalId: 'ada-1' }, { source: 'shop', externalId: 'ada-2' }]);
    expect(both.consents).toEqual([expect.objectContaining({ channel: 'sms', purpose: 'marketing', granted: true })]);
    const listed = (await api().get('/api/v1/contacts').set('x-min-position', position).expect(200)).body.items.map((c: { id: string }) => c.id);
    expect(listed).toEqual([survivor]);
    const byPhone = (await api().get(`/api/v1/contacts?phone=${encodeURIComponent(adaTwin.phone)}`).expect(200)).body.items.map((c: { id: string }) => c.id);
    expect(byPhone).toEqual([survivor]);
    expect((await api().get('/api/v1/contacts/duplicates').set('x-min-position', position).expect(200)).body.items).toEqual([]);
    const revenue = await revenueOf(survivor);
    expect(revenue.revenue).toMatchObject([{ orderCount: 3, gross: '37.75', refunded: '2.25', net: '35.5' }]);
    // The ranked list too: one row, the survivor's, with the duplicate's order and refund in it.
    expect(await rankedRevenueOf([survivor, duplicate])).toEqual([expect.objectContaining({ customerId: survivor, orderCount: 3, gross: '37.75', refunded: '2.25', net: '35.5' })]);
    // The survivor's history holds the duplicate's, in the order it happened, each entry naming whose it is.
    const history = await historyOf(survivor);
    const typesOf = (entries: Array<{ contactId: string; type: string }>, id: string) => entries.filter((e) => e.contactId === id).map((e) => e.type);
    expect(typesOf(history, survivor)).toEqual([...contactEventsOf(before, survivor).map((e) => e.type), 'ContactDuplicateAbsorbed']);
    expect(typesOf(history, duplicate)).toEqual([...contactEventsOf(before, duplicate).map((e) => e.type), 'ContactMerged']);
    expect(history).toHaveLength(typesOf(history, survivor).length + typesOf(history, duplicate).length);
    const positions = history.map((e) => BigInt(e.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(typesOf(history, duplicate).length).toBeGreaterThan(2);
    const orders = (await salesApi().get(`/api/v1/orders?customer=${survivor}`).set('x-min-position', position).expect(200)).body.items;
    expect(orders).toHaveLength(3);
    // A merged contact takes no change until it is unmerged.
    const refused = await api().patch(`/api/v1/contacts/${duplicate}`).send({ givenName: 'Other' }).expect(422);
    expect(refused.body.rule).toBe('contact_merged');

    track(await api().post(`/api/v1/contacts/${survivor}/unmerge`).send({ mergedId: duplicate }).expect(200));
    const after = await snapshot([survivor, duplicate]);

    for (const id of [survivor, duplicate]) {
      const added = contactEventsOf(after, id).slice(contactEventsOf(before, id).length).map((e) => e.type);
      expect(added).toEqual(id === survivor ? ['ContactDuplicateAbsorbed', 'ContactDuplicateReleased'] : ['ContactMerged', 'ContactUnmerged']);
      after.events[`contact-${id}`] = contactEventsOf(after, id).slice(0, contactEventsOf(before, id).length);
    }
    expect(after).toEqual(before);
    expect(Object.keys(before.events).length).toBeGreaterThanOrEqual(7);
    // Each history its own again.
    for (const id of [survivor, duplicate]) expect(new Set((await historyOf(id)).map((e) => e.contactId))).toEqual(new Set([id]));
  });

  it('counts for the survivor what is ingested for the duplicate\'s identifiers while merged, and gives it back to its owner on unmerge', async () => {
    track(await api().post(`/api/v1/contacts/${survivor}/merge`).send({ duplicateId: duplicate }).expect(200));
    const [placed] = await ingest(order({ phone: adaTwin.phone }, 5));
    // Written to the identifier's owner: the store is never rewritten, and an unmerge needs nothing moved.
    expect(placed.contactId).toBe(duplicate);
    const whileMerged = (await revenueOf(survivor)).revenue;
    expect(whileMerged).toMatchObject([{ orderCount: 4, net: '40.5' }]);
    expect((await api().get('/api/v1/contacts/duplicates').set('x-min-position', position).expect(200)).body.items).toEqual([]);

    track(await api().post(`/api/v1/contacts/${survivor}/unmerge`).send({ mergedId: duplicate }).expect(200));
    const own = (await revenueOf(duplicate)).revenue;
    expect(own).toMatchObject([{ orderCount: 2, net: '10' }]);
    expect((await revenueOf(survivor)).revenue).toMatchObject([{ orderCount: 2, net: '30.5' }]);
  });

  it('resolves chains: A into B, then B into C puts A on C; unmerging B gives A back to B', async () => {
    const [{ contactId: c }] = await ingest(order({ externalId: 'carol-1', email: 'carol@shop.org' }, 1));
    track(await api().post(`/api/v1/contacts/${duplicate}/merge`).send({ duplicateId: survivor }).expect(200));
    track(await api().post(`/api/v1/contacts/${c}/merge`).send({ duplicateId: duplicate }).expect(200));
    for (const id of [survivor, duplicate]) expect((await api().get(`/api/v1/contacts/${id}`).set('x-min-position', position).expect(200)).body.mergedInto).toBe(c);
    expect((await revenueOf(c)).revenue).toMatchObject([{ orderCount: 5, net: '41.5' }]);
    const early = await api().post(`/api/v1/contacts/${duplicate}/unmerge`).send({ mergedId: survivor }).expect(422);
    expect(early.body.rule).toBe('survivor_merged');

    track(await api().post(`/api/v1/contacts/${c}/unmerge`).send({ mergedId: duplicate }).expect(200));
    expect((await api().get(`/api/v1/contacts/${survivor}`).set('x-min-position', position).expect(200)).body.mergedInto).toBe(duplicate);
    expect((await api().get(`/api/v1/contacts/${duplicate}`).set('x-min-position', position).expect(200)).body.mergedInto).toBeNull();
    expect((await revenueOf(duplicate)).revenue).toMatchObject([{ orderCount: 4, net: '40.5' }]);
  });

  it('refuses what the rules refuse, as problem+json', async () => {
    const problem = async (path: string, body: object, status: number, code?: string) => {
      const answer = await api().post(path).send(body).expect(status);
      expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
      if (code) expect(answer.body.rule).toBe(code);
    };
    await problem(`/api/v1/contacts/${duplicate}/merge`, { duplicateId: duplicate }, 422, 'merge_into_itself');
    await problem(`/api/v1/contacts/${duplicate}/merge`, { duplicateId: '7b1d6c2e-8a9f-4e3b-b1a0-5c4d3e2f1a09' }, 404);
    await problem(`/api/v1/contacts/${survivor}/merge`, { duplicateId: duplicate }, 422, 'survivor_merged');
    await problem(`/api/v1/contacts/${duplicate}/unmerge`, { mergedId: duplicate }, 422, 'contact_not_merged');
    await problem(`/api/v1/contacts/${duplicate}/merge`, { duplicateId: 'not-a-uuid' }, 400);
    await problem(`/api/v1/contacts/${duplicate}/unmerge`, {}, 400);
  });

  it('answers a retried merge with its first answer (Idempotency-Key)', async () => {
    const [{ contactId: d }] = await ingest(order({ externalId: 'dan-1' }, 3));
    const first = await api().post(`/api/v1/contacts/${d}/merge`).set('idempotency-key', 'merge-dan-1').send({ duplicateId: duplicate }).expect(200);
    const again = await api().post(`/api/v1/contacts/${d}/merge`).set('idempotency-key', 'merge-dan-1').send({ duplicateId: duplicate }).expect(200);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });
});
