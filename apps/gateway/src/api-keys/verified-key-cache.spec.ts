import { VerifiedKeyCache } from './verified-key-cache';

describe('verified key cache', () => {
  let now = 0;
  const clock = () => now;

  it('keeps a key for its TTL only', () => {
    const cache = new VerifiedKeyCache<string>(1000, 10, clock);
    cache.set('h', 'k1');
    now = 999;
    expect(cache.get('h')).toBe('k1');
    now = 1000;
    expect(cache.get('h')).toBeUndefined();
  });

  it('forgets every key whose value matches at once, and keeps the others', () => {
    const cache = new VerifiedKeyCache<string>(1000, 10, clock);
    cache.set('a', 'revoked');
    cache.set('b', 'kept');
    cache.deleteWhere((value) => value === 'revoked');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe('kept');
  });

  it('forgets an evicted key at once', () => {
    const cache = new VerifiedKeyCache<string>(1000, 10, clock);
    cache.set('h', 'k1');
    cache.delete('h');
    expect(cache.get('h')).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    now = 0;
    const cache = new VerifiedKeyCache<string>(1000, 2, clock);
    cache.set('a', '1');
    cache.set('b', '2');
    cache.set('c', '3');
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, '2', '3']);
  });

  it('caches nothing with a TTL of 0', () => {
    const cache = new VerifiedKeyCache<string>(0, 2, clock);
    cache.set('a', '1');
    expect(cache.get('a')).toBeUndefined();
  });
});
