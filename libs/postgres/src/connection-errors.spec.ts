import { isConnectionError } from './connection-errors';

describe('isConnectionError', () => {
  it('tells lost connections by SQLSTATE or socket code', () => {
    expect(isConnectionError({ message: 'terminating connection', code: '57P01' })).toBe(true);
    expect(isConnectionError({ message: 'connection failure', code: '08006' })).toBe(true);
    expect(isConnectionError({ message: 'syntax error', code: '42601' })).toBe(false);
  });

  it('answers false, not a TypeError, for an error whose code is not a string (kafkajs protocol errors)', () => {
    expect(isConnectionError({ message: 'This server does not host this topic-partition', code: 3 })).toBe(false);
  });
});
