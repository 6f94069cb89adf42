import request from 'supertest';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';
import { DEFAULT_IDENTITY_RULES } from './identifiers';
import { IngestService } from './ingest.service';

// Identity resolution through POST /api/v1/events: per-item answers, and no two people merged.
// The shared-identifier limit is the default, 3.
describe('ingest over HTTP', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await bootTestService(contactsService);
  });
  afterAll(async () => {
    await service?.close();
  });

  let n = 0;
  const message = (customer: Record<string, string>, overrides: Record<string, unknown> = {}) => ({
    id: `m-${++n}`,
    type: 'EmailOpened',
    occurredAt: '2024-05-01T10:00:00Z',
    source: 'mailer',
    customer,
    data: { messageId: `msg-${n}` },
    ...overrides,
  });
  const post = (body: unknown) => request(service.server).post('/api/v1/events').send(body as object);
  let lastPosition = '0';
  const ingest = async (...items: unknown[]) => {
    const answer = await post(items).expect(200);
    if (answer.headers['x-position']) lastPosition = answer.headers['x-position'];
    return answer.body as { results: Array<Record<string, unknown>> } & Record<string, number>;
  };
  const contactOf = async (item: unknown): Promise<string> => {
    const { results } = await ingest(item);
    expect(results[0]).toMatchObject({ status: 'accepted' });
    return results[0].contactId as string;
  };
  const contacts = async () => Number((await service.infra.pool.query("select count(*) from event_store.events where type = 'ContactRegistered'")).rows[0].count);

  it('answers per item: accepted, duplicate, rejected with violations, and lets the valid ones through', async () => {
    const good = message({ email: 'grace@navy.mil' });
    const answer = await ingest(good, good, { ...good, id: 'bad-1', data: {} }, { ...message({}), id: 'bad-2' }, 'not an object');
    expect(answer).toMatchObject({ accepted: 1, duplicates: 1, rejected: 3 });
    expect(answer.results.map((r) => r.status)).toEqual(['accepted', 'duplicate', 'rejected', 'rejected', 'rejected']);
    expect(answer.results[2]).toMatchObject({ index: 2, code: 'invalid_ingest_message', violations: [{ path: 'data.messageId' }] });
    expect(answer.results[3]).toMatchObject({ violations: [{ path: 'customer' }] });
    expect(answer.results[1]).toMatchObject({ contactId: answer.results[0].contactId });
    // Sent again in a later request: still one event.
    expect((await ingest(good)).results[0]).toMatchObject({ status: 'duplicate', contactId: answer.results[0].contactId });
  });

  it('rejects a message holding text PostgreSQL cannot store on its own, and the rest of its batch goes through', async () => {
    const good = message({ email: 'hedy@lamarr.org' });
    const answer = await ingest(message({ externalId: 'c-\u00001' }), good, message({ email: 'x@lamarr.org' }, { data: { messageId: 'm-\ud800' } }));
    expect(answer).toMatchObject({ accepted: 1, rejected: 2 });
    expect(answer.results[0]).toMatchObject({ status: 'rejected', code: 'invalid_ingest_message', violations: [{ path: 'customer.externalId', constraints: { storableText: 'contains U+0000' } }] });
    expect(answer.results[1]).toMatchObject({ status: 'accepted' });
    expect(answer.results[2]).toMatchObject({ status: 'rejected', violations: [{ path: 'data.messageId', constraints: { storableText: 'contains a lone UTF-16 surrogate' } }] });
  });

  it('refuses what is not an array, and more than 1,000 items, as problem+json', async () => {
    const notArray = await post({ id: 'x' }).expect(400);
    expect(notArray.headers['content-type']).toMatch(/application\/problem\+json/);
    const many = await post(Array.from({ length: 1_001 }, () => ({}))).expect(400);
    expect(many.body.violations).toEqual([{ path: '', constraints: { arrayMaxSize: 'at most 1000 messages per request' } }]);
  });

  it('never matches junk identifiers: two people with placeholder emails stay two', async () => {
    const before = await contacts();
    const a = await contactOf(message({ externalId: 'j-1', email: 'test@test.com', phone: '0000000000' }, { source: 'shop' }));
    const b = await contactOf(message({ externalId: 'j-2', email: 'TEST@test.com', phone: '0000000000' }, { source: 'shop' }));
    expect(a).not.toBe(b);
    expect(await contacts()).toBe(before + 2);
    const refused = (await ingest(message({ email: 'noreply@shop.io', phone: 'unknown' }))).results[0];
    expect(refused).toMatchObject({ status: 'rejected', code: 'unresolvable_customer', violations: [{ path: 'customer' }] });
  });

  it('keeps a family sharing an email apart, reports them, and stops matching the email past the limit', async () => {
    const family = 'smiths@home.org';
    const members: string[] = [];
    for (const id of ['s-1', 's-2', 's-3', 's-4']) members.push(await contactOf(message({ externalId: id, email: family }, { source: 'shop' })));
    expect(new Set(members).size).toBe(4);
    // Claimed by 4 > 3 contacts: the email alone names nobody.
    const alone = (await ingest(message({ email: family }))).results[0];
    expect(alone).toMatchObject({ status: 'rejected', code: 'unresolvable_customer' });
    // Each member's own id still finds them.
    expect(await contactOf(message({ externalId: 's-3', email: family }, { source: 'shop' }))).toBe(members[2]);
    const all = await listPairs();
    for (const member of members.slice(1)) {
      expect(all).toContainEqual(expect.objectContaining({ contactId: member, otherContactId: members[0], reason: 'same_email' }));
    }
  });

  it('sends a message whose email and phone name two known people to the email one, merging nothing, and reports the pair', async () => {
    const ada = await contactOf(message({ email: 'ada@analytical.org' }));
    const bob = await contactOf(message({ phone: '+14155552671' }));
    const before = await contacts();
    expect(await contactOf(message({ email: 'ADA@analytical.org', phone: '+1 415 555 2671' }))).toBe(ada);
    expect(await contacts()).toBe(before);
    expect(await listPairs()).toContainEqual(expect.objectContaining({ contactId: ada, otherContactId: bob, reason: 'conflicting_phone' }));
    // Bob keeps his phone: a message with it alone still goes to him.
    expect(await contactOf(message({ phone: '+14155552671' }))).toBe(bob);
  });

  it('records consent from ingest on the contact, per channel and purpose, with its source', async () => {
    const contactId = await contactOf(message({ email: 'linus@kernel.example.net' }));
    const consent = (granted: boolean, at: string) =>
      message({ email: 'linus@kernel.example.net' }, { type: 'ConsentChanged', source: 'mailer', occurredAt: at, data: { channel: 'email', purpose: 'marketing', granted } });
    const answer = await post([consent(true, '2024-05-02T10:00:00Z'), consent(false, '2024-05-03T10:00:00Z')]).expect(200);
    expect(answer.body.accepted).toBe(2);
    const got = await request(service.server).get(`/api/v1/contacts/${contactId}`).set('x-min-position', answer.headers['x-position']).expect(200);
    expect(got.body.consents).toEqual([expect.objectContaining({ channel: 'email', purpose: 'marketing', granted: false, source: 'mailer' })]);
  });

  it('creates one contact for one unknown customer sent by two writers at once (each with a cache of its own, as two processes)', async () => {
    const writers = [0, 1].map(() => new IngestService(service.infra.store, service.infra.pool, DEFAULT_IDENTITY_RULES, service.infra));
    const customers = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    const batch = (writer: number) => customers.map((externalId, index) => ({ index, message: message({ externalId }, { id: `race-${writer}-${externalId}`, source: 'shop' }) as never }));
    const before = await contacts();
    const [a, b] = await Promise.all([writers[0].ingest(batch(0)), writers[1].ingest(batch(1))]);
    expect([...a.results, ...b.results].every((r) => r.status === 'accepted')).toBe(true);
    expect(await contacts()).toBe(before + customers.length);
    expect(a.results.map((r) => (r.status === 'accepted' ? r.contactId : ''))).toEqual(b.results.map((r) => (r.status === 'accepted' ? r.contactId : '')));
  });

  it('rejects a second OrderPlaced for an order another message already placed', async () => {
    const order = (id: string) => ({ id, type: 'OrderPlaced', occurredAt: '2024-05-01T10:00:00Z', source: 'shop', customer: { externalId: 'o-1' }, data: { orderId: 'A-1', lines: [{ sku: 'A', quantity: 1, unitPrice: 2 }], amount: 2, currency: 'EUR' } });
    const answer = await ingest(order('first'), order('second'));
    expect(answer.results.map((r) => r.status)).toEqual(['accepted', 'rejected']);
    expect(answer.results[1]).toMatchObject({ code: 'order_exists', violations: [{ path: 'data.orderId' }] });
  });

  const listPairs = async () =>
    (await request(service.server).get('/api/v1/contacts/duplicates?limit=500').set('x-min-position', lastPosition).expect(200)).body.items as Array<Record<string, string>>;
});
