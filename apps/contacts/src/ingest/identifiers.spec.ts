import { DEFAULT_IDENTITY_RULES, identifierKey, identifiersOf, normaliseEmail, normaliseExternalId, normalisePhone } from './identifiers';

const rules = { ...DEFAULT_IDENTITY_RULES, defaultCountry: 'DE' as const, blocklist: ['family@blocked.org', 'guest'] };

describe('identifiers', () => {
  it('normalises emails: trimmed, lower case', () => {
    expect(normaliseEmail('  Ada.Lovelace@Mail.ORG ', rules)).toBe('ada.lovelace@mail.org');
  });

  it.each(['', 'null', 'unknown', 'N/A', '0', 'test@test.com', 'noreply@shop.io', 'no-reply+x@shop.io', 'someone@example.com', 'a@b.example', 'family@blocked.org'])(
    'treats the email %p as junk',
    (email) => expect(normaliseEmail(email, rules)).toEqual({ kind: 'email', reason: 'junk' }),
  );

  it('treats a malformed email as invalid', () => {
    expect(normaliseEmail('ada at mail', rules)).toEqual({ kind: 'email', reason: 'invalid' });
  });

  it('treats an email or external id longer than the contact events hold as invalid (254 and 200 characters)', () => {
    const local = 'a'.repeat(64);
    expect(normaliseEmail(`${local}@${'d'.repeat(185)}.org`, rules)).toBe(`${local}@${'d'.repeat(185)}.org`);
    expect(normaliseEmail(`${local}@${'d'.repeat(186)}.org`, rules)).toEqual({ kind: 'email', reason: 'invalid' });
    expect(normaliseExternalId('x'.repeat(200), rules)).toBe('x'.repeat(200));
    expect(normaliseExternalId(` ${'x'.repeat(201)} `, rules)).toEqual({ kind: 'external', reason: 'invalid' });
  });

  it('normalises phones to E.164, with the default country for national numbers', () => {
    expect(normalisePhone('030 901820', rules)).toBe('+4930901820');
    expect(normalisePhone('+1 (415) 555-2671', rules)).toBe('+14155552671');
    expect(normalisePhone('0151 23456789', { ...rules, defaultCountry: 'DE' })).toBe('+4915123456789');
  });

  it.each(['0', '', 'unknown', '1111111111', '+49 000 0000000', '123456789', '+1 555 000 0000'])('treats the phone %p as junk or invalid', (phone) => {
    expect(typeof normalisePhone(phone, rules)).toBe('object');
  });

  it('treats junk external ids as junk and keeps the others as sent, trimmed', () => {
    expect(normaliseExternalId(' C-17 ', rules)).toBe('C-17');
    expect(normaliseExternalId('null', rules)).toEqual({ kind: 'external', reason: 'junk' });
    expect(normaliseExternalId('guest', rules)).toEqual({ kind: 'external', reason: 'junk' });
  });

  it('lists identifiers by priority and says why others were left out', () => {
    expect(identifiersOf('shop', { phone: '+4930901820', email: 'ADA@mail.org', externalId: '17' }, rules)).toEqual({
      identifiers: [
        { kind: 'external', source: 'shop', value: '17' },
        { kind: 'email', value: 'ada@mail.org' },
        { kind: 'phone', value: '+4930901820' },
      ],
      ignored: [],
    });
    expect(identifiersOf('shop', { email: 'test@test.com', phone: 'n/a' }, rules)).toEqual({
      identifiers: [],
      ignored: [
        { kind: 'email', reason: 'junk' },
        { kind: 'phone', reason: 'junk' },
      ],
    });
  });

  it('keys an external id within its source', () => {
    expect(identifierKey({ kind: 'external', source: 'shop', value: '17' })).not.toBe(identifierKey({ kind: 'external', source: 'crm', value: '17' }));
    expect(identifierKey({ kind: 'email', value: 'a@b.org' })).toBe(identifierKey({ kind: 'email', value: 'a@b.org' }));
  });
});
