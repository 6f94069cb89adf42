import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { ConfigError } from '@clientela/platform';
import { DEFAULT_IDENTITY_RULES, type IdentityRules } from './identifiers';

/**
 * Identity resolution's settings, read once at start like the platform's (empty counts as unset):
 * `IDENTITY_DEFAULT_COUNTRY` (phones without a country code, default US), `IDENTITY_SHARED_LIMIT`
 * (an identifier claimed by more contacts stops matching, default 3), `IDENTITY_BLOCKLIST`
 * (comma-separated junk values, normalised as they would be matched).
 */
export const loadIdentityRules = (env: Record<string, string | undefined> = process.env): IdentityRules => {
  const problems: string[] = [];
  const country = env.IDENTITY_DEFAULT_COUNTRY || DEFAULT_IDENTITY_RULES.defaultCountry;
  if (!isSupportedCountry(country)) problems.push(`IDENTITY_DEFAULT_COUNTRY must be an ISO 3166 alpha-2 country code (got ${JSON.stringify(country)})`);
  const limitText = env.IDENTITY_SHARED_LIMIT || String(DEFAULT_IDENTITY_RULES.sharedLimit);
  const sharedLimit = Number(limitText);
  if (!/^\d{1,4}$/.test(limitText) || sharedLimit < 1) problems.push(`IDENTITY_SHARED_LIMIT must be an integer from 1 to 9999 (got ${JSON.stringify(limitText)})`);
  if (problems.length > 0) throw new ConfigError(problems);
  const blocklist = (env.IDENTITY_BLOCKLIST ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  return { defaultCountry: country as CountryCode, sharedLimit, blocklist };
};
