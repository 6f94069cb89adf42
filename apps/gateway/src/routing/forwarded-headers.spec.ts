import { clientResponseHeaders, hasBody, upstreamRequestHeaders } from './forwarded-headers';

const context = { ids: { requestId: 'r1', correlationId: 'c1' }, actor: 'api-key:k1', actorName: 'crm', remoteAddress: '10.0.0.9', host: 'gw.example', protocol: 'https' as const };

describe('headers sent to a service', () => {
  it('keeps end-to-end headers and adds ids, actor and X-Forwarded-*', () => {
    const headers = upstreamRequestHeaders(
      { 'content-type': 'application/json', 'content-length': '12', accept: 'text/csv', 'if-match': '"3"', 'idempotency-key': 'k', cookie: 'a=b' },
      context,
    );
    expect(headers).toEqual({
      'content-type': 'application/json',
      'content-length': '12',
      accept: 'text/csv',
      'if-match': '"3"',
      'idempotency-key': 'k',
      cookie: 'a=b',
      'x-request-id': 'r1',
      'x-correlation-id': 'c1',
      'x-clientela-actor': 'api-key:k1',
      'x-clientela-actor-name': 'crm',
      'x-forwarded-for': '10.0.0.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'gw.example',
    });
  });

  it('drops hop-by-hop headers, those Connection names, host, expect and the API key', () => {
    const headers = upstreamRequestHeaders(
      {
        connection: 'keep-alive, X-Secret-Hop',
        'keep-alive': 'timeout=5',
        'x-secret-hop': '1',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic x',
        host: 'gw.example',
        expect: '100-continue',
        'x-api-key': 'ck_secret',
      },
      context,
    );
    expect(Object.keys(headers).sort()).toEqual(
      ['x-clientela-actor', 'x-clientela-actor-name', 'x-correlation-id', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-request-id'].sort(),
    );
  });

  it('strips platform headers a client sent and replaces the ids with the resolved ones', () => {
    const headers = upstreamRequestHeaders(
      { 'x-clientela-actor': 'admin', 'x-clientela-role': 'admin', 'x-request-id': 'bad id', 'x-correlation-id': 'x', 'x-forwarded-proto': 'http' },
      context,
    );
    expect(headers['x-clientela-actor']).toBe('api-key:k1');
    expect(headers['x-clientela-role']).toBeUndefined();
    expect(headers['x-request-id']).toBe('r1');
    expect(headers['x-correlation-id']).toBe('c1');
    expect(headers['x-forwarded-proto']).toBe('https');
  });

  it("sends the verified key's role, never one a client claimed", () => {
    const headers = upstreamRequestHeaders({ 'x-clientela-role': 'admin' }, { ...context, role: 'service' });
    expect(headers['x-clientela-role']).toBe('service');
  });

  it('sends the gateway secret when there is one, never one a client sent', () => {
    const claimed = { 'x-clientela-gateway-secret': 'guessed' };
    expect(upstreamRequestHeaders(claimed, { ...context, gatewaySecret: 's'.repeat(32) })['x-clientela-gateway-secret']).toBe('s'.repeat(32));
    expect(upstreamRequestHeaders(claimed, context)['x-clientela-gateway-secret']).toBeUndefined();
  });

  it('appends the client address to an X-Forwarded-For chain', () => {
    expect(upstreamRequestHeaders({ 'x-forwarded-for': '1.2.3.4' }, context)['x-forwarded-for']).toBe('1.2.3.4, 10.0.0.9');
  });
});

describe('headers sent back to the client', () => {
  it('passes everything but hop-by-hop headers, set-cookie lists kept', () => {
    expect(
      clientResponseHeaders({
        'Content-Type': 'application/json',
        etag: '"4"',
        'set-cookie': ['a=1', 'b=2'],
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-position': '17',
      }),
    ).toEqual({ 'content-type': 'application/json', etag: '"4"', 'set-cookie': ['a=1', 'b=2'], 'x-position': '17' });
  });
});

describe('body detection', () => {
  it.each([
    [{}, false],
    [{ 'content-length': '0' }, false],
    [{ 'content-length': '5' }, true],
    [{ 'transfer-encoding': 'chunked' }, true],
  ])('%j has a body: %s', (headers, expected) => expect(hasBody(headers)).toBe(expected));
});
