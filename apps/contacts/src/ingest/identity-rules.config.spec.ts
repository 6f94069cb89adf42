import { ConfigError } from '@clientela/platform';
import { loadIdentityRules } from './identity-rules.config';

describe('identity rules config', () => {
  it('defaults when unset and reads what is set', () => {
    expect(loadIdentityRules({})).toEqual({ defaultCountry: 'US', sharedLimit: 3, blocklist: [] });
    expect(loadIdentityRules({ IDENTITY_DEFAULT_COUNTRY: 'DE', IDENTITY_SHARED_LIMIT: '5', IDENTITY_BLOCKLIST: 'guest, family@home.org,' })).toEqual({
      defaultCountry: 'DE',
      sharedLimit: 5,
      blocklist: ['guest', 'family@home.org'],
    });
  });

  it('lists every wrong value at once', () => {
    expect(() => loadIdentityRules({ IDENTITY_DEFAULT_COUNTRY: 'Germany', IDENTITY_SHARED_LIMIT: '0' })).toThrow(ConfigError);
    try {
      loadIdentityRules({ IDENTITY_DEFAULT_COUNTRY: 'Germany', IDENTITY_SHARED_LIMIT: 'x' });
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });
});
