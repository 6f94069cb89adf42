import { ConfigError, gatewaySecretProblem, loadPlatformConfig, masterKeyProblem } from './platform-config';

describe('loadPlatformConfig', () => {
  it('defaults to the standalone mode on PostgreSQL, port 3000', () => {
    expect(loadPlatformConfig({})).toEqual({ eventStore: { kind: 'postgres' }, bus: { kind: 'standalone' }, logLevel: 'info', port: 3000 });
  });

  it('reads the production mode', () => {
    expect(
      loadPlatformConfig({
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_URL: 'esdb://localhost:2113?tls=false',
        BUS: 'kafka',
        KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092',
        DATABASE_URL: 'postgres://app@db:5432/clientela',
        KAFKA_TOPIC_PREFIX: 'eu1.',
        LOG_LEVEL: 'warn',
        PORT: '8080',
        HOST: '0.0.0.0',
      }),
    ).toEqual({
      eventStore: { kind: 'eventstoredb', url: 'esdb://localhost:2113?tls=false' },
      bus: { kind: 'kafka', brokers: ['kafka-1:9092', 'kafka-2:9092'], topicPrefix: 'eu1.' },
      databaseUrl: 'postgres://app@db:5432/clientela',
      logLevel: 'warn',
      port: 8080,
      host: '0.0.0.0',
    });
  });

  it('reads the master key that personal data is sealed under, and the previous ones during a rotation', () => {
    const [a, b, c] = ['A', 'B', 'C'].map((ch) => `${ch.repeat(43)}=`);
    expect(loadPlatformConfig({ CLIENTELA_MASTER_KEY: a, CLIENTELA_MASTER_KEY_PREVIOUS: `${b},${c}` }).personalData).toEqual({ masterKey: a, previousMasterKeys: `${b},${c}` });
    expect(() => loadPlatformConfig({ CLIENTELA_MASTER_KEY: 'short' })).toThrow(/CLIENTELA_MASTER_KEY must be 32 bytes in base64/);
    expect(() => loadPlatformConfig({ CLIENTELA_MASTER_KEY: 'short-but-secret' })).not.toThrow(/short-but-secret/);
    expect(() => loadPlatformConfig({ CLIENTELA_MASTER_KEY_PREVIOUS: a })).toThrow(/CLIENTELA_MASTER_KEY_PREVIOUS is set without CLIENTELA_MASTER_KEY/);
  });

  it('needs a master key outside standalone mode, naming the variable', () => {
    const key = `${'A'.repeat(43)}=`;
    const kafka = { BUS: 'kafka', KAFKA_BROKERS: 'localhost:9092' };
    expect(masterKeyProblem(loadPlatformConfig({}))).toBeUndefined();
    expect(masterKeyProblem(loadPlatformConfig(kafka))).toMatch(/^CLIENTELA_MASTER_KEY is required when BUS=kafka/);
    expect(masterKeyProblem(loadPlatformConfig({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://localhost:2113?tls=false' }))).toMatch(/^CLIENTELA_MASTER_KEY is required when EVENT_STORE=eventstoredb/);
    expect(masterKeyProblem(loadPlatformConfig({ ...kafka, CLIENTELA_MASTER_KEY: key }))).toBeUndefined();
  });

  it("needs the gateway's secret for a service that listens beyond loopback, naming both variables", () => {
    const secret = 's'.repeat(48);
    expect(gatewaySecretProblem(loadPlatformConfig({}))).toBeUndefined();
    expect(gatewaySecretProblem(loadPlatformConfig({ HOST: '127.0.0.1' }))).toBeUndefined();
    expect(gatewaySecretProblem(loadPlatformConfig({ HOST: '127.0.0.2' }))).toBeUndefined();
    expect(gatewaySecretProblem(loadPlatformConfig({ HOST: '::1' }))).toBeUndefined();
    expect(gatewaySecretProblem(loadPlatformConfig({ HOST: '0.0.0.0' }))).toMatch(/^GATEWAY_SECRET is required when a service listens beyond loopback \(HOST=0\.0\.0\.0\)/);
    expect(gatewaySecretProblem(loadPlatformConfig({ HOST: '10.1.2.3' }))).toMatch(/HOST=10\.1\.2\.3/);
    expect(gatewaySecretProblem(loadPlatformConfig({ HOST: '::' }))).toMatch(/GATEWAY_SECRET is required/);
    expect(gatewaySecretProblem(loadPlatformConfig({ HOST: '0.0.0.0', GATEWAY_SECRET: secret }))).toBeUndefined();
  });

  it('lists every missing or wrong value at once', () => {
    try {
      loadPlatformConfig({ EVENT_STORE: 'eventstoredb', BUS: 'rabbit', DATABASE_URL: 'mysql://x', PORT: '70000', HOST: 'everywhere' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/EVENTSTORE_URL/);
      expect(problems).toMatch(/BUS/);
      expect(problems).toMatch(/DATABASE_URL/);
      expect(problems).not.toMatch(/mysql:/); // a connection string may hold a password: never echoed
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/HOST must be an IP address/);
    }
  });

  it('reads the secret the gateway and the services share, and never echoes a wrong one', () => {
    const secret = 's'.repeat(32);
    expect(loadPlatformConfig({ GATEWAY_SECRET: secret }).gatewaySecret).toBe(secret);
    expect(loadPlatformConfig({}).gatewaySecret).toBeUndefined();
    expect(() => loadPlatformConfig({ GATEWAY_SECRET: 'too-short-secret' })).toThrow(/GATEWAY_SECRET must be at least 32 characters/);
    expect(() => loadPlatformConfig({ GATEWAY_SECRET: 'too-short-secret' })).not.toThrow(/too-short-secret/);
  });

  it('needs brokers in Kafka mode, and treats empty values as unset', () => {
    expect(() => loadPlatformConfig({ BUS: 'kafka', KAFKA_BROKERS: '' })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadPlatformConfig({ BUS: 'kafka', KAFKA_BROKERS: 'localhost' })).toThrow(/host:port/);
  });
});
