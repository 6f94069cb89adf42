import { parseIngestMessage, type IngestMessage } from '@clientela/contracts';
import { DEFAULT_IDENTITY_RULES } from './identifiers';
import { contactIdFor, decimalOf, planIngest, type Claim, type IngestPlan } from './resolution';

const rules = { ...DEFAULT_IDENTITY_RULES, sharedLimit: 2 };
const order = (id: string, customer: Record<string, string>, source = 'shop'): IngestMessage =>
  parseIngestMessage({
    id,
    type: 'OrderPlaced',
    occurredAt: '2024-05-01T10:00:00Z',
    source,
    customer,
    data: { orderId: id, lines: [{ sku: 'A', quantity: 1, unitPrice: 9.5 }], amount: 9.5, currency: 'EUR' },
  });

/** Claims as the store holds them after each written plan: the world the next batch is resolved in. */
const world = () => {
  const claims = new Map<string, Claim>();
  const survivors = new Map<string, string>();
  const run = (...messages: IngestMessage[]): IngestPlan => {
    const plan = planIngest(messages.map((message, index) => ({ index, message })), (key) => claims.get(key), rules, (id) => survivors.get(id) ?? id);
    for (const [key, claim] of plan.claims) claims.set(key, claim);
    return plan;
  };
  const merge = (survivorId: string, mergedId: string) => survivors.set(mergedId, survivorId);
  return { run, merge };
};

const contactOf = (plan: IngestPlan, index = 0): string => {
  const item = plan.items[index];
  if (item.outcome !== 'resolved') throw new Error(`item ${index} was rejected: ${JSON.stringify(item.violations)}`);
  return item.contactId;
};

describe('identity resolution', () => {
  it('makes an unknown customer a new contact with its identifiers, claimed where nobody else may take them', () => {
    const plan = world().run(order('o1', { externalId: 'c1', email: 'Ada@Mail.org' }));
    expect(plan.items[0]).toMatchObject({ outcome: 'resolved', created: true, contactId: contactIdFor({ source: 'shop', id: 'o1' }) });
    const contactId = contactOf(plan);
    const streams = plan.appends.map((a) => `${a.streamId.split('-')[0]} ${a.expectedRevision} ${a.events.map((e) => e.type).join(',')}`);
    expect(streams).toEqual([
      'identifier no_stream IdentifierClaimed',
      'identifier no_stream IdentifierClaimed',
      'identifier no_stream IdentifierClaimed',
      'contact no_stream ContactRegistered,ContactIdentityLinked,ContactEmailAdded',
      'order no_stream CustomerOrderPlaced',
    ]);
    expect(plan.appends[4].events[0].data).toMatchObject({ customerId: contactId, amount: '9.5', lines: [{ unitPrice: '9.5' }], source: 'shop', sourceEventId: 'o1' });
    expect(plan.appends[3].events[2].data).toMatchObject({ email: 'ada@mail.org', primary: true });
  });

  it('sends two messages of one unknown customer in one batch to one new contact', () => {
    const plan = world().run(order('o1', { externalId: 'c1' }), order('o2', { externalId: 'c1' }));
    expect(contactOf(plan, 1)).toBe(contactOf(plan, 0));
    expect(plan.items[1]).toMatchObject({ created: false });
    expect(plan.appends.filter((a) => a.streamId.startsWith('contact-'))).toHaveLength(1);
  });

  it('matches by external id first, then email, then phone, and links what the contact did not have', () => {
    const { run } = world();
    const ada = contactOf(run(order('o1', { externalId: 'c1' })));
    const plan = run(order('o2', { externalId: 'c1', email: 'ada@mail.org' }));
    expect(contactOf(plan)).toBe(ada);
    expect(plan.appends.find((a) => a.streamId === `contact-${ada}`)).toMatchObject({ expectedRevision: 'any', events: [{ type: 'ContactEmailAdded', data: { primary: false } }] });
    expect(contactOf(run(order('o3', { email: ' ADA@mail.org' })))).toBe(ada);
  });

  it('never matches junk identifiers, and refuses a message with nothing else', () => {
    const { run } = world();
    const first = contactOf(run(order('o1', { externalId: 'c1', email: 'test@test.com', phone: '0000000' })));
    const second = run(order('o2', { externalId: 'c2', email: 'test@test.com', phone: '0000000' }));
    expect(contactOf(second)).not.toBe(first);
    expect(second.duplicates).toEqual([]);
    const refused = run(order('o3', { email: 'test@test.com', externalId: 'null' }));
    expect(refused.items[0]).toMatchObject({ outcome: 'rejected', violations: [{ path: 'customer' }] });
    expect(refused.appends).toEqual([]);
  });

  it('gives a family email to each member with an id of their own, reports them, and stops matching it past the limit', () => {
    const { run } = world();
    const members = ['m1', 'm2', 'm3'].map((id) => run(order(`o-${id}`, { externalId: id, email: 'family@home.org' })));
    const ids = members.map((plan) => contactOf(plan));
    expect(new Set(ids).size).toBe(3);
    expect(members[1].duplicates).toEqual([{ contactId: ids[1], otherContactId: ids[0], reason: 'same_email' }]);
    // Within the limit (2) the email still names its first holder; beyond it, nobody.
    const third = run(order('o-x', { email: 'family@home.org' }));
    expect(third.items[0]).toMatchObject({ outcome: 'rejected' });
  });

  it('sends a message whose email and phone name two contacts to the email one and reports the pair, merging nothing', () => {
    const { run } = world();
    const ada = contactOf(run(order('o1', { email: 'ada@mail.org' })));
    const bob = contactOf(run(order('o2', { phone: '+4930901820' })));
    const plan = run(order('o3', { email: 'ada@mail.org', phone: '+4930901820' }));
    expect(contactOf(plan)).toBe(ada);
    expect(plan.duplicates).toEqual([{ contactId: ada, otherContactId: bob, reason: 'conflicting_phone' }]);
    expect(plan.appends.filter((a) => a.streamId.startsWith('contact-') || a.streamId.startsWith('identifier-'))).toEqual([]);
    expect(plan.appends.map((a) => a.streamId.split('-')[0])).toEqual(['order', 'contactDuplicate']);
  });

  it('sends a merged contact\'s identifiers to their owner, writes no claim, and reports no pair with its survivor', () => {
    const { run, merge } = world();
    const ada = contactOf(run(order('o1', { email: 'ada@mail.org' })));
    const bob = contactOf(run(order('o2', { phone: '+4930901820' })));
    merge(ada, bob);
    const plan = run(order('o3', { email: 'ada@mail.org', phone: '+4930901820' }), order('o4', { phone: '+4930901820' }));
    expect([contactOf(plan, 0), contactOf(plan, 1)]).toEqual([ada, bob]);
    expect(plan.duplicates).toEqual([]);
    expect(plan.appends.map((a) => a.streamId.split('-')[0])).toEqual(['order', 'order']);
  });

  it('expects the revision it knows of a claim stream it adds to', () => {
    const { run } = world();
    run(order('o1', { externalId: 'm1', email: 'family@home.org' }));
    const second = run(order('o2', { externalId: 'm2', email: 'family@home.org' }));
    expect(second.appends.filter((a) => a.streamId.startsWith('identifier-')).map((a) => a.expectedRevision)).toEqual(['no_stream', 'no_stream', 0]);
  });

  it('turns a consent message into consent on the contact with its source', () => {
    const consent = parseIngestMessage({ id: 'u1', type: 'ConsentChanged', occurredAt: '2024-05-02T10:00:00Z', source: 'mailer', customer: { email: 'ada@mail.org' }, data: { channel: 'email', purpose: 'marketing', granted: false } });
    const plan = world().run(consent);
    const last = plan.appends[plan.appends.length - 1];
    expect(last).toMatchObject({ streamId: `contact-${contactOf(plan)}`, expectedRevision: 'any', events: [{ type: 'ContactConsentWithdrawn', data: { channel: 'email', purpose: 'marketing', source: 'mailer', at: '2024-05-02T10:00:00Z' } }] });
  });

  it('refuses a source that cannot be kept as one and an amount too large for an exact decimal', () => {
    const plan = world().run(order('o1', { externalId: 'c1' }, ' shop '), { ...order('o2', { externalId: 'c2' }), data: { ...order('o2', { externalId: 'c2' }).data, amount: 1e13 } } as IngestMessage);
    expect(plan.items.map((i) => i.outcome)).toEqual(['rejected', 'rejected']);
    expect(decimalOf(29.33)).toBe('29.33');
    expect(decimalOf(10)).toBe('10');
  });
});
