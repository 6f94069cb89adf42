import { isISO31661Alpha2 } from 'class-validator';
import { ACCOUNT_SIZES, LANGUAGE_TAG, LIFECYCLE_STAGES, nameBasedUuid, TOKEN, unstorableStringReason, ValidationError, type AccountSize, type FieldViolation, type LifecycleStage } from '@clientela/contracts';
import { normaliseDomain } from '../accounts/accounts.decider';
import { DOMAIN_INPUT } from '../accounts/accounts.dto';
import { customValueProblem, type CustomFieldDefinition } from '../custom-fields/custom-fields.decider';
import { normaliseEmail, normaliseExternalId, normalisePhone, type IdentityRules } from '../ingest/identifiers';
import type { ImportedContact } from '../ingest/resolution';
import type { ImportKind, ImportRowError } from './import.events';

/** The fields a contact column can fill; `custom:<key>` fills a defined custom field. */
export const CONTACT_IMPORT_FIELDS = ['givenName', 'familyName', 'email', 'phone', 'externalId', 'source', 'language', 'lifecycleStage', 'tags', 'line1', 'city', 'postalCode', 'country'] as const;
export type ContactImportField = (typeof CONTACT_IMPORT_FIELDS)[number] | `custom:${string}`;
/** The fields an account column can fill. */
export const ACCOUNT_IMPORT_FIELDS = ['name', 'domain', 'industry', 'size', 'line1', 'city', 'postalCode', 'country'] as const;

export interface ImportMapping {
  /** CSV column (its header) → field. Columns not named are ignored. */
  columns: Record<string, string>;
  /** The source of the external ids (and of the events), unless a column is mapped to `source`. */
  source: string;
}

export const DEFAULT_IMPORT_SOURCE = 'csv-import';

const violation = (path: string, rule: string, message: string): FieldViolation => ({ path, constraints: { [rule]: message } });

/** The mapping of a request (JSON), checked: every field known, each at most once, an identifier (contacts) or the name (accounts) among them. */
export const parseMapping = (json: string | undefined, customFields: Readonly<Record<string, CustomFieldDefinition>>, kind: ImportKind = 'contacts'): ImportMapping => {
  const known: readonly string[] = kind === 'contacts' ? CONTACT_IMPORT_FIELDS : ACCOUNT_IMPORT_FIELDS;
  let raw: unknown;
  try {
    raw = JSON.parse(json ?? '');
  } catch {
    throw new ValidationError('mapping must be JSON: {"columns": {"<CSV column>": "<field>"}, "source": "<system>"}', [violation('mapping', 'json', 'must be a JSON object')]);
  }
  const violations: FieldViolation[] = [];
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as { columns?: unknown; source?: unknown };
  const columns = (typeof body.columns === 'object' && body.columns !== null && !Array.isArray(body.columns) ? body.columns : {}) as Record<string, unknown>;
  if (Object.keys(columns).length === 0) violations.push(violation('mapping.columns', 'required', 'name at least one column: {"<CSV column>": "<field>"}'));
  const seen = new Set<string>();
  for (const [column, field] of Object.entries(columns)) {
    const path = `mapping.columns.${column}`;
    if (typeof field !== 'string') violations.push(violation(path, 'field', 'must be a field name'));
    else if (kind === 'contacts' && field.startsWith('custom:')) {
      const definition = customFields[field.slice('custom:'.length)];
      if (!definition || definition.retired) violations.push(violation(path, 'customField', `${field.slice(7)} is not a defined custom field`));
    } else if (!known.includes(field)) violations.push(violation(path, 'field', `must be one of ${known.join(', ')}${kind === 'contacts' ? ' or custom:<key>' : ''}`));
    if (typeof field === 'string' && seen.has(field)) violations.push(violation(path, 'unique', `${field} is mapped from two columns`));
    if (typeof field === 'string') seen.add(field);
  }
  if (kind === 'contacts' && !['email', 'phone', 'externalId'].some((f) => seen.has(f))) violations.push(violation('mapping.columns', 'identifier', 'map at least one of email, phone, externalId: rows are matched to contacts by them'));
  if (kind === 'accounts' && !seen.has('name')) violations.push(violation('mapping.columns', 'name', 'map the name: every account has one'));
  const source = body.source ?? DEFAULT_IMPORT_SOURCE;
  if (typeof source !== 'string' || !TOKEN.test(source)) violations.push(violation('mapping.source', 'token', 'source must be letters, digits and . _ : / @ + - (no spaces at the ends)'));
  const unknown = Object.keys(body).filter((k) => k !== 'columns' && k !== 'source');
  for (const key of unknown) violations.push(violation(`mapping.${key}`, 'whitelist', `${key} is not a mapping property`));
  if (violations.length > 0) throw new ValidationError('invalid import mapping', violations);
  return { columns: columns as Record<string, string>, source: source as string };
};

export type CheckedRow = { ok: true; contact: ImportedContact } | { ok: false; errors: ImportRowError[] };

/**
 * One CSV row checked against the mapping: every problem of the row (by its column), or what it
 * imports. A row needs an email, phone or external id that can name one customer (the same
 * rules as ingest: junk and invalid values never match). `row` numbers rows as a spreadsheet does.
 */
export const checkContactRow = (
  record: Readonly<Record<string, string | undefined>>,
  row: number,
  mapping: ImportMapping,
  rules: IdentityRules,
  customFields: Readonly<Record<string, CustomFieldDefinition>>,
  now: string,
): CheckedRow => {
  const { errors, fail, value } = cellsOf(record, row, mapping);
  const customer: ImportedContact['customer'] = {};
  const identify = (field: 'email' | 'phone' | 'externalId', normalise: (raw: string, rules: IdentityRules) => string | { reason: 'junk' | 'invalid' }, what: string) => {
    const given = value[field];
    if (!given) return;
    const normalised = normalise(given.text, rules);
    if (typeof normalised === 'string') customer[field] = normalised;
    else fail(given.column, normalised.reason === 'junk' ? `${what} is a placeholder or blocked` : `${what} is not valid`);
  };
  identify('email', normaliseEmail, 'email');
  identify('phone', normalisePhone, 'phone');
  identify('externalId', normaliseExternalId, 'external id');
  const source = value.source?.text ?? mapping.source;
  if (value.source && !TOKEN.test(source)) fail(value.source.column, 'source must be letters, digits and . _ : / @ + - (no spaces at the ends)');
  if (!value.email && !value.phone && !value.externalId) fail('row', 'a row needs an email, a phone or an external id');

  const profile: Record<string, unknown> = {};
  for (const field of ['givenName', 'familyName'] as const) {
    const given = value[field];
    if (given && given.text.length > 100) fail(given.column, `${field} must be at most 100 characters`);
    else if (given) profile[field] = given.text;
  }
  if (value.language) {
    if (LANGUAGE_TAG.test(value.language.text)) profile.language = value.language.text;
    else fail(value.language.column, 'language must be a language tag such as en or pt-BR');
  }
  const address = addressOf(value, fail);
  if (address) profile.address = address;
  let lifecycleStage: LifecycleStage | undefined;
  if (value.lifecycleStage) {
    if ((LIFECYCLE_STAGES as readonly string[]).includes(value.lifecycleStage.text)) lifecycleStage = value.lifecycleStage.text as LifecycleStage;
    else fail(value.lifecycleStage.column, `lifecycleStage must be one of ${LIFECYCLE_STAGES.join(', ')}`);
  }
  const tags = value.tags ? [...new Set(value.tags.text.split(';').map((t) => t.trim()).filter((t) => t !== ''))] : [];
  if (value.tags && tags.some((t) => !TOKEN.test(t))) fail(value.tags.column, 'tags are separated by ; and each must be letters, digits and . _ : / @ + -');
  const custom: Record<string, string | number | boolean> = {};
  for (const [field, given] of Object.entries(value)) {
    if (!field.startsWith('custom:') || !given) continue;
    const key = field.slice('custom:'.length);
    const definition = customFields[key];
    const typed = definition ? customTextValue(definition, given.text) : given.text;
    const problem = definition ? customValueProblem(definition, typed) : 'is not a defined custom field';
    if (problem) fail(given.column, `${key} ${problem}`);
    else custom[key] = typed;
  }

  if (errors.length > 0) return { ok: false, errors };
  // The row's key is its identity: the same person in a later file (or this file again) is one message.
  const key = [customer.externalId !== undefined ? `x:${source}:${customer.externalId}` : '', customer.email ? `e:${customer.email}` : '', customer.phone ? `p:${customer.phone}` : ''].join('|');
  return {
    ok: true,
    contact: { type: 'ContactImported', id: `row|${key}`, source, occurredAt: now, customer, data: { profile, ...(lifecycleStage ? { lifecycleStage } : {}), tags, customFields: custom } },
  };
};

/** A CSV cell as the custom field's type reads it: numbers and booleans are written as text there. */
const customTextValue = (definition: CustomFieldDefinition, text: string): string | number | boolean => {
  if (definition.type === 'number') return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
  if (definition.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
};

type Cells = Partial<Record<string, { column: string; text: string }>>;

/** A row's non-empty cells by field, and where its errors go. */
const cellsOf = (record: Readonly<Record<string, string | undefined>>, row: number, mapping: ImportMapping) => {
  const errors: ImportRowError[] = [];
  const fail = (field: string, message: string) => errors.push({ row, field, message });
  const value: Cells = {};
  for (const [column, field] of Object.entries(mapping.columns)) {
    const text = (record[column] ?? '').trim();
    if (text === '') continue;
    // A NUL byte from a legacy export: this row's error, not a failed import (PostgreSQL cannot store it).
    const unstorable = unstorableStringReason(text);
    if (unstorable) fail(column, `${field} ${unstorable}`);
    else value[field] = { column, text };
  }
  return { errors, fail, value };
};

const addressOf = (value: Cells, fail: (field: string, message: string) => void): Record<string, string> | undefined => {
  const address: Record<string, string> = {};
  for (const [field, max] of [['line1', 200], ['city', 100], ['postalCode', 20]] as const) {
    const given = value[field];
    if (given && given.text.length > max) fail(given.column, `${field} must be at most ${max} characters`);
    else if (given) address[field] = given.text;
  }
  if (value.country) {
    const country = value.country.text.toUpperCase();
    if (isISO31661Alpha2(country)) address.country = country;
    else fail(value.country.column, 'country must be an ISO 3166 alpha-2 code such as DE');
  }
  return Object.keys(address).length > 0 ? address : undefined;
};

const ACCOUNT_KEYS = 'c3a1d7e2-5b94-4f0e-8a61-2d7c9b4e1f05';

export interface ImportedAccount {
  /** Derived from the row's key (its domain, else its name): the same company imported again is the same account. */
  accountId: string;
  /** How it is found among the accounts already there. */
  key: { domain: string } | { name: string };
  profile: { name: string; domain?: string; industry?: string; size?: AccountSize; address?: Record<string, string> };
}

export type CheckedAccountRow = { ok: true; account: ImportedAccount } | { ok: false; errors: ImportRowError[] };

/** One account row checked against the mapping: every problem by its column, or the account it imports. */
export const checkAccountRow = (record: Readonly<Record<string, string | undefined>>, row: number, mapping: ImportMapping): CheckedAccountRow => {
  const { errors, fail, value } = cellsOf(record, row, mapping);
  const name = value.name?.text;
  if (!name) fail('row', 'an account needs a name');
  else if (name.length > 200) fail(value.name!.column, 'name must be at most 200 characters');
  let domain: string | undefined;
  if (value.domain) {
    if (value.domain.text.length <= 300 && DOMAIN_INPUT.test(value.domain.text)) domain = normaliseDomain(value.domain.text);
    else fail(value.domain.column, 'domain must be a domain name such as example.com');
  }
  if (value.industry && value.industry.text.length > 100) fail(value.industry.column, 'industry must be at most 100 characters');
  if (value.size && !(ACCOUNT_SIZES as readonly string[]).includes(value.size.text)) fail(value.size.column, `size must be one of ${ACCOUNT_SIZES.join(', ')}`);
  const address = addressOf(value, fail);
  if (errors.length > 0 || !name) return { ok: false, errors };
  const key = domain ? { domain } : { name: name.toLowerCase() };
  return {
    ok: true,
    account: {
      accountId: nameBasedUuid(domain ? `domain|${domain}` : `name|${name.toLowerCase()}`, ACCOUNT_KEYS),
      key,
      profile: { name, ...(domain ? { domain } : {}), ...(value.industry ? { industry: value.industry.text } : {}), ...(value.size ? { size: value.size.text as AccountSize } : {}), ...(address ? { address } : {}) },
    },
  };
};
