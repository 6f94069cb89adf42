import { Writable } from 'node:stream';
import { createLogger } from './logger';

const capture = () => {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination: destination as unknown as NodeJS.WritableStream & { write(msg: string): void } };
};

describe('createLogger', () => {
  it('writes one JSON line per entry with the service, the message and the fields', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'sales', destination });
    logger.warn('relay cannot reach kafka; retrying', { relay: 'main', attempt: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: 'sales', msg: 'relay cannot reach kafka; retrying', relay: 'main', attempt: 3, level: 40 });
  });

  it('keeps child bindings and honours the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'analytics', level: 'warn', destination }).child({ projection: 'customer_revenue' });
    logger.info('not shown');
    logger.error('parked a poison event', { eventId: 'e1' });
    expect(lines).toEqual([expect.objectContaining({ projection: 'customer_revenue', eventId: 'e1', msg: 'parked a poison event' })]);
  });
});
