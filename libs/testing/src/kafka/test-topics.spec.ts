import { kafkaBrokersForTest, uniqueTopicName } from './test-topics';

describe('kafkaBrokersForTest', () => {
  const saved = process.env.KAFKA_BROKERS;
  afterEach(() => {
    if (saved === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = saved;
  });

  it('splits KAFKA_BROKERS into host:port entries', () => {
    process.env.KAFKA_BROKERS = ' 127.0.0.1:9092, 127.0.0.1:9093 ';
    expect(kafkaBrokersForTest()).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
  });

  it('explains what to do when KAFKA_BROKERS is missing', () => {
    delete process.env.KAFKA_BROKERS;
    expect(() => kafkaBrokersForTest()).toThrow(/KAFKA_BROKERS is not set.*globalSetup/s);
    process.env.KAFKA_BROKERS = '   ';
    expect(() => kafkaBrokersForTest()).toThrow(/KAFKA_BROKERS is not set/);
  });

  it('rejects entries without a port', () => {
    process.env.KAFKA_BROKERS = '127.0.0.1:9092,localhost';
    expect(() => kafkaBrokersForTest()).toThrow(/malformed entries.*localhost/);
  });
});

describe('uniqueTopicName', () => {
  it('is unique, keeps the prefix and uses only legal topic characters', () => {
    const names = Array.from({ length: 200 }, () => uniqueTopicName('crm events/v1'));
    expect(new Set(names).size).toBe(200);
    for (const name of names) {
      expect(name).toMatch(/^crm-events-v1-[a-z0-9]+-[0-9a-f]{8}$/);
      expect(name.length).toBeLessThanOrEqual(249);
    }
  });

  it('stays within Kafka’s 249-character limit for long prefixes', () => {
    expect(uniqueTopicName('x'.repeat(400)).length).toBeLessThanOrEqual(249);
  });
});
