import { Writable } from 'node:stream';
import pino from 'pino';
import { createServiceAdapter } from './service-adapter';

/** The service's Fastify with a pino writing into an array, and one route that logs. */
const serviceWithLog = async () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const adapter = createServiceAdapter({ service: 'test', logger: pino({ level: 'info' }, destination) });
  const fastify = adapter.getInstance();
  fastify.get('/hello', async (request) => {
    request.log.info('inside');
    return { ok: true };
  });
  await fastify.ready();
  return { fastify, lines };
};

describe('the service adapter', () => {
  it("answers with the client's ids and logs both on every line of the request", async () => {
    const { fastify, lines } = await serviceWithLog();
    const response = await fastify.inject({ url: '/hello', headers: { 'x-request-id': 'req-1', 'x-correlation-id': 'corr-1' } });
    expect(response.headers['x-request-id']).toBe('req-1');
    expect(response.headers['x-correlation-id']).toBe('corr-1');
    const ofRequest = lines.filter((line) => line.reqId === 'req-1');
    expect(ofRequest.map((line) => line.msg)).toEqual(['inside', 'request']);
    expect(ofRequest.every((line) => line.correlationId === 'corr-1')).toBe(true);
    await fastify.close();
  });

  it('correlates a request without a correlation id to itself', async () => {
    const { fastify, lines } = await serviceWithLog();
    const response = await fastify.inject({ url: '/hello' });
    const requestId = response.headers['x-request-id'];
    expect(typeof requestId).toBe('string');
    expect(response.headers['x-correlation-id']).toBe(requestId);
    expect(lines.find((line) => line.msg === 'request')).toMatchObject({ reqId: requestId, correlationId: requestId, status: 200 });
    await fastify.close();
  });
});
