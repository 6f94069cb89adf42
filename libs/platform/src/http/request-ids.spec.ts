import { isSaneId, requestIdsOf } from './request-ids';

describe('request ids', () => {
  const generate = () => 'generated';

  it('keeps sane ids from the client', () => {
    expect(requestIdsOf({ 'x-request-id': 'req-1.a_B', 'x-correlation-id': 'flow-9' }, generate)).toEqual({
      requestId: 'req-1.a_B',
      correlationId: 'flow-9',
    });
  });

  it('generates a request id and correlates to it when none is sent', () => {
    expect(requestIdsOf({}, generate)).toEqual({ requestId: 'generated', correlationId: 'generated' });
  });

  it('correlates to the client request id when only that is sent', () => {
    expect(requestIdsOf({ 'x-request-id': 'abc' }, generate)).toEqual({ requestId: 'abc', correlationId: 'abc' });
  });

  it.each([
    ['empty', ''],
    ['too long', 'a'.repeat(129)],
    ['spaces', 'a b'],
    ['header injection', 'a\r\nset-cookie: x'],
    ['non-ascii', 'é'],
    ['json', '{"a":1}'],
  ])('replaces an id that is %s', (_, value) => {
    expect(requestIdsOf({ 'x-request-id': value, 'x-correlation-id': value }, generate)).toEqual({
      requestId: 'generated',
      correlationId: 'generated',
    });
  });

  it('accepts 128 characters and takes the first of repeated headers', () => {
    expect(isSaneId('a'.repeat(128))).toBe(true);
    expect(requestIdsOf({ 'x-request-id': ['one', 'two'] }, generate).requestId).toBe('one');
  });

  it('generates UUIDs by default', () => {
    expect(requestIdsOf({}).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
