import request from 'supertest';
import { INGEST_TOPIC } from '@clientela/contracts';
import { KafkaDeadLetters } from '@clientela/messaging';
import { waitFor } from '@clientela/messaging/src/testing/wait-for';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { cdnowOrderMessages, deleteTestTopics, testKafka } from '@clientela/testing';
import { contactsService } from '../contacts-service';

// The whole CDNOW file (69,659 orders of 23,570 customers) lands once per order on the right
// contact, through each door once; sending it all again adds nothing. One service per transport.
const messages = cdnowOrderMessages();
const CUSTOMERS = 23_570;
const ORDERS = 69_659;

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

describe('cdnow through POST /api/v1/events (standalone)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await bootTestService(contactsService);
  });
  afterAll(async () => {
    await service?.close();
  });

  const send = async () => {
    const totals = { accepted: 0, duplicates: 0, rejected: 0, created: 0 };
    let position = '0';
    for (let i = 0; i < messages.length; i += 1_000) {
      const answer = await request(service.server).post('/api/v1/events').send(messages.slice(i, i + 1_000)).expect(200);
      totals.accepted += answer.body.accepted;
      totals.duplicates += answer.body.duplicates;
      totals.rejected += answer.body.rejected;
      totals.created += (answer.body.results as Array<{ created?: boolean }>).filter((r) => r.created).length;
      if (answer.headers['x-position']) position = answer.headers['x-position'];
    }
    return { totals, position };
  };

  it('lands every order once on the contact of its customer, creating each customer once', async () => {
    const { totals, position } = await send();
    expect(totals).toEqual({ accepted: ORDERS, duplicates: 0, rejected: 0, created: CUSTOMERS });
    expect(await counts(service)).toEqual({ orders: ORDERS, contacts: CUSTOMERS });
    // The contacts read model catches up (X-Min-Position waits for it).
    await request(service.server).get('/api/v1/contacts?limit=1').set('x-min-position', position).expect(200);
    expect(await contactsInReadModel(service)).toBe(CUSTOMERS);
    expect(await misplacedOrders(service)).toBe(0);
  }, 1_200_000);

  it('adds nothing when everything is sent a second time', async () => {
    const { totals } = await send();
    expect(totals).toEqual({ accepted: 0, duplicates: ORDERS, rejected: 0, created: 0 });
    expect(await counts(service)).toEqual({ orders: ORDERS, contacts: CUSTOMERS });
  }, 1_200_000);
});

describe('cdnow through clientela.ingest.v1 (kafka)', () => {
  let service: TestService;
  let topic: string;
  beforeAll(async () => {
    service = await bootTestService(contactsService, { bus: 'kafka' });
    if (service.infra.config.bus.kind !== 'kafka') throw new Error('expected the Kafka bus');
    topic = `${service.infra.config.bus.topicPrefix}${INGEST_TOPIC}`;
  });
  afterAll(async () => {
    if (service?.infra.config.bus.kind === 'kafka') await deleteTestTopics(service.infra.config.bus.brokers, [topic, `${topic}.dlq`]).catch(() => undefined);
    await service?.close();
  });

  const brokers = () => (service.infra.config.bus.kind === 'kafka' ? service.infra.config.bus.brokers : []);
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
  /** True once the ingest group has committed every offset of the topic. */
  const consumedAll = async (): Promise<boolean> => {
    const admin = testKafka(brokers()).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: service.infra.groupIdOf('ingest'), topics: [topic] });
      return ends.every((end) => Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1) >= Number(end.high));
    } finally {
      await admin.disconnect();
    }
  };

  it('lands every order once, and dead-letters invalid messages with their reason while the rest go through', async () => {
    const invalid = [
      'not json',
      { ...messages[0], id: 'no-customer', customer: {} },
      { ...messages[0], id: 'junk-only', customer: { externalId: 'unknown', email: 'test@test.com' } },
    ];
    await produce([...messages.slice(0, 30_000), ...invalid, ...messages.slice(30_000)]);
    await waitFor(async () => (await counts(service)).orders === ORDERS && (await consumedAll()), async () => JSON.stringify(await counts(service)), 1_500_000);
    expect(await counts(service)).toEqual({ orders: ORDERS, contacts: CUSTOMERS });
    const letters = await new KafkaDeadLetters(testKafka(brokers())).list(topic);
    // Dead letters are at least once (a batch redelivered after a rebalance can write one again).
    expect([...new Set(letters.map((l) => l.code))].sort()).toEqual(['invalid_ingest_message', 'malformed_message', 'unresolvable_customer'].sort());
    expect(letters.find((l) => l.code === 'unresolvable_customer')?.reason).toMatch(/no identifier can name one customer: external is a placeholder or blocked; email is a placeholder or blocked/);
    await waitFor(async () => (await contactsInReadModel(service)) === CUSTOMERS, async () => `read model: ${await contactsInReadModel(service)}`, 300_000);
    expect(await misplacedOrders(service)).toBe(0);
  }, 1_800_000);

  it('adds nothing when everything is sent a second time', async () => {
    await produce(messages);
    await waitFor(consumedAll, () => 'the second pass to be consumed', 600_000);
    expect(await counts(service)).toEqual({ orders: ORDERS, contacts: CUSTOMERS });
  }, 900_000);
});
