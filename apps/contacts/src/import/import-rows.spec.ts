import { ValidationError } from '@clientela/contracts';
import { DEFAULT_IDENTITY_RULES } from '../ingest/identifiers';
import type { CustomFieldDefinition } from '../custom-fields/custom-fields.decider';
import { checkContactRow, parseMapping } from './import-rows';

const fields: Record<string, CustomFieldDefinition> = { score: { key: 'score', label: 'Score', type: 'number', retired: false } };
const now = '2026-12-01T10:00:00.000Z';
const mapping = parseMapping(JSON.stringify({ columns: { Mail: 'email', Id: 'externalId', Name: 'givenName', Score: 'custom:score' }, source: 'crm' }), fields);
const check = (record: Record<string, string>) => checkContactRow(record, 7, mapping, DEFAULT_IDENTITY_RULES, fields, now);

describe('import rows', () => {
  it('turns a good row into a contact to resolve, keyed by its identity', () => {
    expect(check({ Mail: ' Ada@Mail.org ', Id: 'c1', Name: 'Ada', Score: '4.5' })).toEqual({
      ok: true,
      contact: {
        type: 'ContactImported',
        id: 'row|x:crm:c1|e:ada@mail.org|',
        source: 'crm',
        occurredAt: now,
        customer: { email: 'ada@mail.org', externalId: 'c1' },
        data: { profile: { givenName: 'Ada' }, tags: [], customFields: { score: 4.5 } },
      },
    });
  });

  it('lists every problem of a bad row by its column', () => {
    expect(check({ Mail: 'nope', Id: '', Name: '', Score: 'many' })).toEqual({
      ok: false,
      errors: [
        { row: 7, field: 'Mail', message: 'email is not valid' },
        { row: 7, field: 'Score', message: 'score must be a finite number' },
      ],
    });
  });

  it('reports a cell with a NUL byte as an error of its row (PostgreSQL cannot store it), naming its column', () => {
    expect(check({ Mail: 'ada@mail.org', Id: 'c1', Name: 'A\u0000da' })).toEqual({ ok: false, errors: [{ row: 7, field: 'Name', message: 'givenName contains U+0000' }] });
  });

  it('needs an identifier in the row', () => {
    expect(check({ Mail: '', Id: ' ', Name: 'Ada' })).toEqual({ ok: false, errors: [{ row: 7, field: 'row', message: 'a row needs an email, a phone or an external id' }] });
  });

  it('refuses a mapping with unknown fields, a field twice, no identifier or a retired custom field', () => {
    const refusal = (columns: Record<string, string>) => {
      try {
        parseMapping(JSON.stringify({ columns }), { old: { key: 'old', label: 'Old', type: 'text', retired: true } });
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).violations.map((v) => v.path);
      }
      throw new Error('accepted');
    };
    expect(refusal({ A: 'nickname' })).toEqual(['mapping.columns.A', 'mapping.columns']);
    expect(refusal({ A: 'email', B: 'email' })).toEqual(['mapping.columns.B']);
    expect(refusal({ A: 'custom:old', B: 'phone' })).toEqual(['mapping.columns.A']);
    expect(() => parseMapping('not json', {})).toThrow(ValidationError);
  });
});
