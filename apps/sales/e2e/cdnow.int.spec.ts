import request from 'supertest';
import { fromUnits, INGEST_TOPIC, toUnits, type Units } from '@clientela/contracts';
import { KafkaDeadLetters } from '@clientela/messaging';
import { waitFor } from '@clientela/messaging/src/testing/wait-for';
import { bootTestPlatform, bootTestService, type TestPlatform, type TestService } from '@clientela/service-kit/testing';
import { cdnowOrderMessages, deleteTestTopics, testKafka, groupCaughtUp } from '@clientela/testing';
// Platform level: contacts ingests, sales reads what contacts wrote. The one place two apps meet in one process.
import { contactsService } from '../../contacts/src/contacts-service';
import { salesService } from '../src/sales-service';

// The whole CDNOW file (69,659 orders of 23,570 customers), sent through each door once and then a
// third time across doors: contacts lands each order once on the right contact, and the sales
// service's orders and customer revenue equal a plain computation from the file, for every customer.
// The file is the suite's largest cost; it is sent three times in all, never more.
const messages = cdnowOrderMessages();
const CUSTOMERS = 23_570;
const ORDERS = 69_659;

/** What the file says, computed without the platform: per CDNOW customer its order count and total (exact). */
const expected = (() => {
  const amountOf = new Map<string, Units>();
  const customers = new Map<string, { orders: number; total: Units }>();
  let total = 0n;
  for (const message of messages) {
    const amount = toUnits(String(message.data.amount));
    amountOf.set(message.data.orderId, amount);
    const customer = customers.get(message.customer.externalId) ?? { orders: 0, total: 0n };
    customers.set(message.customer.externalId, { orders: customer.orders + 1, total: customer.total + amount });
    total += amount;
  }
  return { amountOf, customers, total };
})();

const counts = async (service: TestService) => {
  const { rows } = await service.infra.pool.query<{ type: string; n: string }>(
    `select type, count(*)::text as n from event_store.events where type in ('CustomerOrderPlaced', 'ContactRegistered') group by type`,
  );
  const of = (type: string) => Number(rows.find((r) => r.type === type)?.n ?? 0);
  return { orders: of('CustomerOrderPlaced'), contacts: of('ContactRegistered') };
};

/** Orders whose contact is not the one holding the order's CDNOW customer id (the order id starts with it). */
const misplacedOrders = async (service: TestService): Promise<number> => {
  const { rows } = await service.infra.pool.query<{ n: string }>(
    `select count(*)::text as n
       from event_store.events o
       left join proj_contacts.contact_identities i
         on i.contact_id = (o.data->>'customerId')::uuid and i.source = 'cdnow' and i.external_id = split_part(o.data->>'orderId', '-', 1)
      where o.type = 'CustomerOrderPlaced' and i.contact_id is null`,
  );
  return Number(rows[0].n);
};

const contactsInReadModel = async (service: TestService): Promise<number> =>
  Number((await service.infra.pool.query<{ n: string }>('select count(*)::text as n from proj_contacts.contacts')).rows[0].n);

/** The file through POST /api/v1/events in batches of 1,000, the answers summed. */
const sendOverHttp = async (contacts: TestService) => {
  const totals = { accepted: 0, duplicates: 0, rejected: 0, created: 0 };
  let position = '0';
  for (let i = 0; i < messages.length; i += 1_000) {
    const answer = await request(contacts.server).post('/api/v1/events').send(messages.slice(i, i + 1_000)).expect(200);
    totals.accepted += answer.body.accepted;
    totals.duplicates += answer.body.duplicates;
    totals.rejected += answer.body.rejected;
    totals.created += (answer.body.results as Array<{ created?: boolean }>).filter((r) => r.created).length;
    if (answer.headers['x-position']) position = answer.headers['x-position'];
  }
  return { totals, position };
};

/** A CSV export as rows of named fields (the exports here hold no quoted fields: ids, amounts, dates). */
const csvRows = (text: string): Array<Record<string, string>> => {
  const [header, ...lines] = text.trim().split('\r\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [names[i], value])));
};

describe('cdnow_master through POST /api/v1/events on contacts and sales (standalone)', () => {
  let platform: TestPlatform;
  let contacts: TestService;
  let sales: TestService;
  let position = '0';
  /** The sales orders export, read once. */
  let orders: Array<Record<string, string>> = [];

  beforeAll(async () => {
    platform = await bootTestPlatform([contactsService, salesService]);
    ({ contacts, sales } = platform.services);
  });
  afterAll(async () => {
    await platform?.close();
  });

  /** A sales read with X-Min-Position, asked again while the read model is still behind (503, as a client would). */
  const salesExport = async (path: string): Promise<string> => {
    for (;;) {
      const response = await request(sales.server).get(path).set('accept', 'text/csv').set('x-min-position', position);
      if (response.status !== 503) {
        expect(response.status).toBe(200);
        return response.text;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  };

  it('lands every order once on the contact of its customer, creating each customer once', async () => {
    const sent = await sendOverHttp(contacts);
    position = sent.position;
    expect(sent.totals).toEqual({ accepted: ORDERS, duplicates: 0, rejected: 0, created: CUSTOMERS });
    expect(await counts(contacts)).toEqual({ orders: ORDERS, contacts: CUSTOMERS });
    // The contacts read model catches up (X-Min-Position waits for it).
    await request(contacts.server).get('/api/v1/contacts?limit=1').set('x-min-position', position).expect(200);
    expect(await contactsInReadModel(contacts)).toBe(CUSTOMERS);
    expect(await misplacedOrders(contacts)).toBe(0);
  }, 1_200_000);

  it('lists every order in sales with the amount of its line of the file, summing exactly to the file total', async () => {
    orders = csvRows(await salesExport('/api/v1/orders?source=cdnow&sort=placedAt'));
    expect(orders).toHaveLength(ORDERS);
    const wrong = orders.filter((o) => expected.amountOf.get(o.source_order_id) !== toUnits(o.amount) || o.currency !== 'USD' || o.status !== 'placed');
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(new Set(orders.map((o) => o.source_order_id)).size).toBe(ORDERS);
    expect(fromUnits(orders.reduce((sum, o) => sum + toUnits(o.amount), 0n))).toBe(fromUnits(expected.total));
    // Each contact's orders are one CDNOW customer's (their order ids start with its id), and each customer is one contact.
    const customerOf = new Map<string, Set<string>>();
    for (const o of orders) customerOf.set(o.customer_id, (customerOf.get(o.customer_id) ?? new Set()).add(o.source_order_id.split('-')[0]));
    expect(customerOf.size).toBe(CUSTOMERS);
    expect([...customerOf.values()].filter((ids) => ids.size !== 1)).toEqual([]);
    expect(new Set([...customerOf.values()].map((ids) => [...ids][0])).size).toBe(CUSTOMERS);
  }, 600_000);

  it('gives every customer the order count and net revenue of a plain computation from the file', async () => {
    const cdnowIdOf = new Map(orders.map((o) => [o.customer_id, o.source_order_id.split('-')[0]]));
    const revenue = csvRows(await salesExport('/api/v1/customer-revenue?currency=USD&sort=-net'));
    expect(revenue).toHaveLength(CUSTOMERS);
    const compared = revenue.map((row) => {
      const file = expected.customers.get(cdnowIdOf.get(row.customer_id) ?? '');
      return { customer: row.customer_id, ours: [Number(row.order_count), toUnits(row.net), toUnits(row.gross), toUnits(row.refunded)], file: file && [file.orders, file.total, file.total, 0n] };
    });
    // All 23,570 compared; the first few that differ are shown.
    expect(compared.filter((c) => c.file === undefined || c.ours.some((v, i) => v !== c.file![i])).slice(0, 5)).toEqual([]);
    expect(new Set(compared.map((c) => cdnowIdOf.get(c.customer))).size).toBe(CUSTOMERS);
  }, 600_000);
});

describe('cdnow_master through clientela.ingest.v1, then again through POST /api/v1/events (kafka)', () => {
  let contacts: TestService;
  let topic: string;
  beforeAll(async () => {
    contacts = await bootTestService(contactsService, { bus: 'kafka' });
    if (contacts.infra.config.bus.kind !== 'kafka') throw new Error('expected the Kafka bus');
    topic = `${contacts.infra.config.bus.topicPrefix}${INGEST_TOPIC}`;
  });
  afterAll(async () => {
    if (contacts?.infra.config.bus.kind === 'kafka') await deleteTestTopics(contacts.infra.config.bus.brokers, [topic, `${topic}.dlq`]).catch(() => undefined);
    await contacts?.close();
  });

  const brokers = () => (contacts.infra.config.bus.kind === 'kafka' ? contacts.infra.config.bus.brokers : []);
  const produce = async (values: readonly unknown[]) => {
    const producer = testKafka(brokers()).producer();
    await producer.connect();
    try {
      for (let i = 0; i < values.length; i += 5_000) {
        await producer.send({ topic, messages: values.slice(i, i + 5_000).map((value, j) => ({ key: String(i + j), value: typeof value === 'string' ? value : JSON.stringify(value) })) });
      }
    } finally {
      await producer.disconnect();
    }
  };
  const consumedAll = (): Promise<boolean> => groupCaughtUp(brokers(), contacts.infra.groupIdOf('ingest'), topic);


  it('lands every order once, and dead-letters invalid messages with their reason while the rest go through', async () => {
    const invalid = [
      'not json',
      { ...messages[0], id: 'no-customer', customer: {} },
      { ...messages[0], id: 'junk-only', customer: { externalId: 'unknown', email: 'test@test.com' } },
    ];
    await produce([...messages.slice(0, 30_000), ...invalid, ...messages.slice(30_000)]);
    await waitFor(async () => (await counts(contacts)).orders === ORDERS && (await consumedAll()), async () => JSON.stringify(await counts(contacts)), 1_500_000);
    expect(await counts(contacts)).toEqual({ orders: ORDERS, contacts: CUSTOMERS });
    const letters = await new KafkaDeadLetters(testKafka(brokers())).list(topic);
    // Dead letters are at least once (a batch redelivered after a rebalance can write one again).
    expect([...new Set(letters.map((l) => l.code))].sort()).toEqual(['invalid_ingest_message', 'malformed_message', 'unresolvable_customer'].sort());
    expect(letters.find((l) => l.code === 'unresolvable_customer')?.reason).toMatch(/no identifier can name one customer: external is a placeholder or blocked; email is a placeholder or blocked/);
    await waitFor(async () => (await contactsInReadModel(contacts)) === CUSTOMERS, async () => `read model: ${await contactsInReadModel(contacts)}`, 300_000);
    expect(await misplacedOrders(contacts)).toBe(0);
  }, 1_800_000);

  it('adds nothing when everything is sent a second time, through the other door', async () => {
    const { totals } = await sendOverHttp(contacts);
    expect(totals).toEqual({ accepted: 0, duplicates: ORDERS, rejected: 0, created: 0 });
    expect(await counts(contacts)).toEqual({ orders: ORDERS, contacts: CUSTOMERS });
  }, 1_200_000);
});
