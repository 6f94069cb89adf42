import { join } from 'node:path';
import { INGEST_TOPIC } from '@clientela/contracts';
import { KafkaDeadLetters } from '@clientela/messaging';
import { waitFor } from '@clientela/messaging/src/testing/wait-for';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { deleteTestTopics, testKafka, groupCaughtUp } from '@clientela/testing';
import { contactsService } from '../../../apps/contacts/src/contacts-service';
import { runCli } from './testing/run-cli';

const SAMPLE = join(__dirname, '..', '..', '..', 'datasets', 'cdnow', 'cdnow_sample.txt');
const ORDERS = 6_919;

// `clientela ingest --via kafka` end to end: the CDNOW sample onto <prefix>clientela.ingest.v1, consumed
// by the contacts service booted in Kafka mode (its ingest consumer, dedupe by source and id). Every
// order lands once; sending the file again adds nothing. The CLI's own refusals are tested over HTTP.
describe('clientela ingest --via kafka (into the contacts service\'s ingest consumer)', () => {
  let service: TestService;
  let topic: string;
  let env: Record<string, string>;
  const brokers = () => (service.infra.config.bus.kind === 'kafka' ? service.infra.config.bus.brokers : []);

  beforeAll(async () => {
    service = await bootTestService(contactsService, { bus: 'kafka' });
    if (service.infra.config.bus.kind !== 'kafka') throw new Error('expected the Kafka bus');
    const prefix = service.infra.config.bus.topicPrefix;
    topic = `${prefix}${INGEST_TOPIC}`;
    // The CLI reads the platform's own configuration, as a platform engineer's shell has it.
    env = { DATABASE_URL: service.database.url, BUS: 'kafka', KAFKA_BROKERS: brokers().join(','), KAFKA_TOPIC_PREFIX: prefix };
  });
  afterAll(async () => {
    await deleteTestTopics(brokers(), [topic, `${topic}.dlq`]).catch(() => undefined);
    await service?.close();
  });

  const orders = async () =>
    (await service.infra.pool.query<{ n: string; ids: string }>("select count(*)::text as n, count(distinct data->>'orderId')::text as ids from event_store.events where type = 'CustomerOrderPlaced'")).rows[0];
  const consumedAll = (): Promise<boolean> => groupCaughtUp(brokers(), service.infra.groupIdOf('ingest'), topic);


  it('lands every order of the CDNOW sample once, and sending the file again adds nothing', async () => {
    const first = await runCli(['ingest', SAMPLE, '--format', 'cdnow', '--via', 'kafka'], env);
    expect(first).toMatchObject({ code: 0, stdout: '6,919 messages: 6,919 sent to Kafka, 0 rejected before sending (the ingest consumer dedupes and dead-letters)\n' });
    expect(first.stderr).toMatch(/\| 100 % \| 6919\/6919 messages/);
    await waitFor(async () => (await orders()).n === String(ORDERS) && (await consumedAll()), async () => JSON.stringify(await orders()), 600_000);
    expect(await orders()).toEqual({ n: String(ORDERS), ids: String(ORDERS) });

    const second = await runCli(['ingest', SAMPLE, '--format', 'cdnow', '--via', 'kafka', '--json'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ via: 'kafka', messages: ORDERS, sent: ORDERS, rejected: 0 });
    await waitFor(consumedAll, () => 'the second pass to be consumed', 600_000);
    expect(await orders()).toEqual({ n: String(ORDERS), ids: String(ORDERS) });
    expect(await new KafkaDeadLetters(testKafka(brokers())).list(topic)).toEqual([]);
  }, 1_200_000);
});
