import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { nameBasedUuid, type IngestCustomer } from '@clientela/contracts';

/** How identity resolution treats identifiers: where they are junk, and when a shared one stops matching. */
export interface IdentityRules {
  /** Country of phone numbers written without their country code (ISO 3166 alpha-2). */
  defaultCountry: CountryCode;
  /** An identifier claimed by more contacts than this no longer matches anyone. */
  sharedLimit: number;
  /** Further junk values (normalised: emails lower case, phones E.164, external ids as sent). */
  blocklist: readonly string[];
}

export const DEFAULT_IDENTITY_RULES: IdentityRules = { defaultCountry: 'US', sharedLimit: 3, blocklist: [] };

/** A normalised identifier, in order of matching priority. */
export type Identifier =
  | { kind: 'external'; source: string; value: string }
  | { kind: 'email'; value: string }
  | { kind: 'phone'; value: string };

/** Why an identifier of a message was left out. */
export interface Ignored {
  kind: Identifier['kind'];
  reason: 'junk' | 'invalid';
}

const JUNK_WORDS = new Set(['', 'null', 'undefined', 'none', 'nil', 'unknown', 'n/a', 'na', '-', '0', 'test', 'xxx', 'noemail', 'no email']);
/** Placeholder domains (RFC 2606) and the local parts of addresses nobody reads. */
const JUNK_EMAIL_DOMAINS = new Set(['example.com', 'example.org', 'example.net', 'test.com', 'email.com', 'domain.com', 'invalid', 'localhost']);
const JUNK_EMAIL_LOCALS = new Set(['test', 'noreply', 'no-reply', 'donotreply', 'do-not-reply', 'none', 'null', 'unknown', 'info', 'nobody', 'mail', 'email', 'abc', 'xxx']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** What the contact's events hold at most (ContactEmailAdded, ContactIdentityAdded). */
const MAX_EMAIL_LENGTH = 254;
const MAX_EXTERNAL_ID_LENGTH = 200;

const isJunkWord = (value: string): boolean => JUNK_WORDS.has(value.toLowerCase()) || /^0+$/.test(value);

export const normaliseEmail = (raw: string, rules: IdentityRules): string | Ignored => {
  const email = raw.trim().toLowerCase();
  if (isJunkWord(email)) return { kind: 'email', reason: 'junk' };
  // Longer than an address can be (RFC 5321): the contact's event would refuse it, failing the whole batch or import.
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) return { kind: 'email', reason: 'invalid' };
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at).split('+', 1)[0];
  const domain = email.slice(at + 1);
  if (JUNK_EMAIL_DOMAINS.has(domain) || domain.endsWith('.example') || domain.endsWith('.invalid') || domain.endsWith('.test')) return { kind: 'email', reason: 'junk' };
  if (JUNK_EMAIL_LOCALS.has(local) || rules.blocklist.includes(email)) return { kind: 'email', reason: 'junk' };
  return email;
};

export const normalisePhone = (raw: string, rules: IdentityRules): string | Ignored => {
  const text = raw.trim();
  const digits = text.replace(/\D/g, '');
  if (isJunkWord(text) || digits.length === 0 || /^(\d)\1*$/.test(digits)) return { kind: 'phone', reason: 'junk' };
  const parsed = parsePhoneNumberFromString(text, rules.defaultCountry);
  if (!parsed || !parsed.isValid()) return { kind: 'phone', reason: 'invalid' };
  const phone = parsed.number;
  // A run like 555-0000 or 123456789 is a placeholder even when it parses.
  const national = parsed.nationalNumber;
  if (/^(\d)\1+$/.test(national.slice(-7)) || '01234567890'.includes(national) || '98765432109'.includes(national)) return { kind: 'phone', reason: 'junk' };
  if (rules.blocklist.includes(phone)) return { kind: 'phone', reason: 'junk' };
  return phone;
};

export const normaliseExternalId = (raw: string, rules: IdentityRules): string | Ignored => {
  const id = raw.trim();
  if (id.length > MAX_EXTERNAL_ID_LENGTH) return { kind: 'external', reason: 'invalid' };
  if (isJunkWord(id) || rules.blocklist.includes(id)) return { kind: 'external', reason: 'junk' };
  return id;
};

/** The identifiers of a message's customer that may match, by priority, and those left out with why. */
export const identifiersOf = (source: string, customer: IngestCustomer, rules: IdentityRules): { identifiers: Identifier[]; ignored: Ignored[] } => {
  const identifiers: Identifier[] = [];
  const ignored: Ignored[] = [];
  const keep = <K extends Identifier['kind']>(kind: K, result: string | Ignored, make: (value: string) => Identifier) => {
    if (typeof result === 'string') identifiers.push(make(result));
    else ignored.push({ ...result, kind });
  };
  if (customer.externalId !== undefined) keep('external', normaliseExternalId(customer.externalId, rules), (value) => ({ kind: 'external', source, value }));
  if (customer.email !== undefined) keep('email', normaliseEmail(customer.email, rules), (value) => ({ kind: 'email', value }));
  if (customer.phone !== undefined) keep('phone', normalisePhone(customer.phone, rules), (value) => ({ kind: 'phone', value }));
  return { identifiers, ignored };
};

const IDENTIFIER_NAMESPACE = '6c1d5e0a-8f3b-4b7e-9a52-3d6f1e2c7b90';

/**
 * The uuid of an identifier: its claim stream is `identifier-<uuid>`. A hash, so the claim
 * streams and the lookup table hold no personal data in clear.
 */
export const identifierKey = (identifier: Identifier): string =>
  nameBasedUuid(identifier.kind === 'external' ? `external|${identifier.source}|${identifier.value}` : `${identifier.kind}|${identifier.value}`, IDENTIFIER_NAMESPACE);

export interface KeyedIdentifiers {
  keyed: Array<{ identifier: Identifier; key: string }>;
  ignored: Ignored[];
}
const keyedOf = new WeakMap<IngestCustomer, { source: string; rules: IdentityRules; result: KeyedIdentifiers }>();

/**
 * identifiersOf with each identifier's key. A batch asks this of every message several times (the
 * claims lookup, the survivors, the planner), and normalising and hashing were a good part of its
 * CPU: the answer is kept per customer object (a pure function of it, its source and the rules).
 */
export const keyedIdentifiersOf = (source: string, customer: IngestCustomer, rules: IdentityRules): KeyedIdentifiers => {
  const known = keyedOf.get(customer);
  if (known && known.source === source && known.rules === rules) return known.result;
  const { identifiers, ignored } = identifiersOf(source, customer, rules);
  const result = { keyed: identifiers.map((identifier) => ({ identifier, key: identifierKey(identifier) })), ignored };
  keyedOf.set(customer, { source, rules, result });
  return result;
};

/**
 * The key that says a contact has an identity in a source: a contact holds at most one external
 * id per source, so a message with another id of that source is someone else.
 */
export const contactSourceKey = (contactId: string, source: string): string => nameBasedUuid(`contact-source|${contactId}|${source}`, IDENTIFIER_NAMESPACE);
