import * as path from 'node:path';
import { newClusterId, serverProperties } from './broker';
import { DEFAULT_KAFKA_VERSION, defaultLibsDir, kafkaToolDir, repoRoot, resolveKafkaVersion } from './config';

describe('kafka-runner config', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('finds tools/kafka and the repo root from src/', () => {
    expect(kafkaToolDir()).toBe(path.resolve(__dirname, '..'));
    expect(repoRoot()).toBe(path.resolve(__dirname, '..', '..', '..'));
  });

  it('caches jars under <repo>/.cache/kafka/<version>/libs unless KAFKA_CACHE_DIR is set', () => {
    delete process.env.KAFKA_CACHE_DIR;
    expect(defaultLibsDir('3.9.2')).toBe(path.join(repoRoot(), '.cache', 'kafka', '3.9.2', 'libs'));
    process.env.KAFKA_CACHE_DIR = '/var/cache/ci-kafka';
    expect(defaultLibsDir('3.9.2')).toBe(path.join('/var/cache/ci-kafka', '3.9.2', 'libs'));
  });

  it('takes the version from the option, then KAFKA_VERSION, then the default, and refuses 4.x', () => {
    delete process.env.KAFKA_VERSION;
    expect(resolveKafkaVersion()).toBe(DEFAULT_KAFKA_VERSION);
    process.env.KAFKA_VERSION = '3.8.1';
    expect(resolveKafkaVersion()).toBe('3.8.1');
    expect(resolveKafkaVersion('3.9.1')).toBe('3.9.1');
    expect(() => resolveKafkaVersion('4.1.0')).toThrow(/not supported/);
  });

  it('writes a combined broker+controller server.properties on the given ports', () => {
    const text = serverProperties({
      host: '127.0.0.1',
      port: 19092,
      controllerPort: 19093,
      dataDir: '/tmp/k',
      overrides: { 'auto.create.topics.enable': false },
    });
    const props = Object.fromEntries(
      text
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(props).toMatchObject({
      'process.roles': 'broker,controller',
      'controller.quorum.voters': '1@127.0.0.1:19093',
      listeners: 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:19092',
      'log.dirs': '/tmp/k',
      'offsets.topic.replication.factor': '1',
      'auto.create.topics.enable': 'false',
    });
  });
});

describe('newClusterId', () => {
  it('never starts with a dash, which StorageTool would read as an option', () => {
    // 0xfb… encodes to "-" first in base64url; the next draw does not.
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x01)];
    const id = newClusterId(() => draws.shift() as Buffer);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
    expect(Buffer.alloc(16, 0xfb).toString('base64url').startsWith('-')).toBe(true);
    for (let i = 0; i < 1_000; i++) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
