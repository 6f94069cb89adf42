import { displayPrefixOf, generateApiKey, hashApiKey, isPlausibleApiKey } from './api-key-format';

describe('API key format', () => {
  it('generates ck_<prefix>_<secret> with 256 random bits in the secret', () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^ck_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`ck_${prefix}_`)).toBe(true);
    expect(generateApiKey().key).not.toBe(key);
  });

  it('builds the key from the random source', () => {
    const { key, prefix } = generateApiKey((size) => Buffer.alloc(size, 1));
    expect(prefix).toBe('01010101');
    expect(key).toBe(`ck_01010101_${Buffer.alloc(32, 1).toString('base64url')}`);
  });

  it('hashes with SHA-256, hex', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('shows a generated key by its prefix, any other key by the start of its hash', () => {
    const { key, prefix } = generateApiKey();
    expect(displayPrefixOf(key)).toBe(prefix);
    const chosen = 'an-admin-key-chosen-by-the-operator-0123456789';
    expect(displayPrefixOf(chosen)).toBe(hashApiKey(chosen).slice(0, 8));
    expect(chosen).not.toContain(displayPrefixOf(chosen));
  });

  it.each([
    ['short', 'abc', false],
    ['huge', 'a'.repeat(257), false],
    ['spaces', 'a'.repeat(20) + ' b', false],
    ['non-ascii', 'é'.repeat(20), false],
    ['generated', generateApiKey().key, true],
  ])('judges a %s key plausible: %s', (_, key, expected) => expect(isPlausibleApiKey(key)).toBe(expected));
});
