import { logLevel, type LogEntry } from 'kafkajs';
import { kafkaLogCreator } from './service-infrastructure';

describe("kafkajs's log in the service's", () => {
  const logged: Array<[string, string, unknown]> = [];
  const log = kafkaLogCreator({ error: (message, fields) => logged.push(['error', message, fields]), warn: (message, fields) => logged.push(['warn', message, fields]) })();
  const entry = (level: logLevel, namespace: string, message: string, error?: string): LogEntry => ({ level, namespace, label: '', log: { timestamp: '', logger: 'kafkajs', message, broker: '127.0.0.1:9092', ...(error ? { error } : {}) } });

  it('keeps errors as errors, but a broker error answer kafkajs retries is a warning, and drops info', () => {
    log(entry(logLevel.ERROR, 'Connection', 'Response Metadata(key: 3, version: 6)', 'This server does not host this topic-partition'));
    log(entry(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded', 'Connection timeout'));
    log(entry(logLevel.WARN, 'Producer', 'retrying'));
    log(entry(logLevel.INFO, 'Consumer', 'Starting'));
    expect(logged.map(([level, message]) => [level, message])).toEqual([
      ['warn', 'Response Metadata(key: 3, version: 6)'],
      ['error', 'Crash: KafkaJSNumberOfRetriesExceeded'],
      ['warn', 'retrying'],
    ]);
    expect(logged[0][2]).toEqual({ broker: '127.0.0.1:9092', error: 'This server does not host this topic-partition', kafka: 'Connection' });
  });
});
