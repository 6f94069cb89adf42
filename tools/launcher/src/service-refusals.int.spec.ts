import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { startServiceProcess } from './service-process';

const ROOT = resolve(__dirname, '../../..');

/** Starts the contacts service with `env` and gives its exit code and everything it printed. */
const start = async (env: Record<string, string>): Promise<{ code: number | string; output: string }> => {
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const service = startServiceProcess({ name: 'contacts', root: ROOT, env: { LOG_LEVEL: 'info', GATEWAY_SECRET: '', CLIENTELA_MASTER_KEY: '', BUS: '', ...env }, output });
  const code = await service.exited;
  await service.ready.catch(() => undefined);
  return { code, output: printed };
};

// Both refusals come before the service touches its database: the address below is never dialled.
const DATABASE_URL = 'postgres://nobody@127.0.0.1:1/never';

describe('a service that would be open to others refuses to start, and says why', () => {
  it('listening beyond loopback without the gateway secret (it trusts the role the gateway forwards)', async () => {
    const { code, output } = await start({ DATABASE_URL, HOST: '0.0.0.0' });
    expect(code).toBe(1);
    expect(output).toContain('GATEWAY_SECRET is required when a service listens beyond loopback (HOST=0.0.0.0)');
  }, 60_000);

  it('in Kafka mode without a master key (personal data would be kept in copies that cannot be erased)', async () => {
    const { code, output } = await start({ DATABASE_URL, BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(output).toContain('CLIENTELA_MASTER_KEY is required when BUS=kafka');
  }, 60_000);
});
