import { createCipheriv, createHmac, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  ERASED_TEXT,
  SEALED_FIELD,
  openPersonalFields,
  openPersonalFieldsOnAccess,
  sealedPartOf,
  planSeal,
  sealedData,
  sealedDataJson,
  sealPersonalFields,
  SealedDataError,
  type DataKey,
} from './sealed-fields';

const dataKey = (raw = randomBytes(32)): DataKey => ({
  encryption: createSecretKey(raw),
  ivKey: createHmac('sha256', raw).update('iv').digest(),
});
const PERSONAL = ['givenName', 'emails', 'address', 'note'];

const STREAM = 'contact-c-1';
const seal = (data: Record<string, unknown>, key: DataKey, event = { id: randomUUID(), type: 'ContactRegistered' }) => ({
  event,
  sealed: sealPersonalFields({ ...event, streamId: STREAM }, data, PERSONAL, 'c-1', key),
});
const open = (event: { id: string; type: string }, stored: Record<string, unknown>, key: DataKey | undefined, streamId = STREAM) =>
  openPersonalFields(event, stored, sealedPartOf(stored, streamId)!, key);

/** The v3 string's parts: version, field list, ciphertext and, where kept, the subject. */
const partsOf = (stored: Record<string, unknown>): string[] => (stored[SEALED_FIELD] as string).split('|');
const withParts = (stored: Record<string, unknown>, parts: string[]) => ({ ...stored, [SEALED_FIELD]: parts.join('|') });

/** What the code before December 2026 wrote (v1): an object with the subject, the field kinds and the fields as a JSON object. */
const sealV1 = (event: { id: string; type: string }, data: Record<string, unknown>, subject: string, key: DataKey) => {
  const picked = Object.fromEntries(PERSONAL.filter((f) => data[f] != null).map((f) => [f, data[f]]));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.encryption, iv);
  cipher.setAAD(Buffer.from(`${event.id}\n${event.type}\n${subject}`));
  const c = Buffer.concat([iv, cipher.update(JSON.stringify(picked)), cipher.final(), cipher.getAuthTag()]).toString('base64');
  const kinds = Object.fromEntries(Object.entries(picked).map(([f, v]) => [f, typeof v === 'string' ? 's' : Array.isArray(v) ? 'a' : 'o']));
  const rest = Object.fromEntries(Object.entries(data).filter(([f]) => !(f in picked)));
  return { ...rest, [SEALED_FIELD]: { v: 1, s: subject, f: kinds, c } };
};

/** What the code before 7 December 2026 wrote (v2): the compact string, the event's id, type and subject as associated data. */
const sealV2 = (event: { id: string; type: string }, data: Record<string, unknown>, subject: string, key: DataKey) => {
  const plan = planSeal(data, PERSONAL)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.encryption, iv);
  cipher.setAAD(Buffer.from(`${event.id}\n${event.type}\n${subject}`));
  const c = Buffer.concat([iv, cipher.update(plan.plaintext), cipher.final(), cipher.getAuthTag()]).toString('base64');
  const rest = Object.fromEntries(Object.entries(data).filter(([f]) => !plan.names.includes(f)));
  return { ...rest, [SEALED_FIELD]: `2|${plan.fieldList}|${c}` };
};

describe('sealed personal fields', () => {
  const key = dataKey();
  // Values long enough that random base64 never holds them by chance ('Ada' once turned up in a ciphertext).
  const data = { contactId: 'c-1', givenName: 'Adelheidis', emails: ['adelheidis.quist@example.com'], address: { city: 'Llanfairpwllgwyngyll' }, note: null, amount: '12.50' };

  it('keeps no personal value in clear and gives every one back', () => {
    const { event, sealed } = seal(data, key);
    const stored = JSON.stringify(sealed);
    for (const value of [data.givenName, data.emails[0], data.address.city]) {
      expect(stored).not.toContain(value);
      expect(stored).not.toContain(Buffer.from(value).toString('base64'));
    }
    // What is not personal stays readable (aggregates need it), and a cleared field stays null.
    expect(sealed).toMatchObject({ contactId: 'c-1', amount: '12.50', note: null });
    expect(open(event, sealed, key)).toEqual(data);
  });

  it('round-trips any JSON values of the personal fields', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...PERSONAL), fc.jsonValue()), fc.string(), (personal, other) => {
        const input = { ...personal, other };
        const { event, sealed } = seal(input, key);
        const back = SEALED_FIELD in sealed ? open(event, sealed, key) : sealed;
        // JSON has no -0 and drops undefined: compare as JSON, as the store would give it back.
        expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(input)));
      }),
    );
  });

  it('makes the sealed data\'s JSON text from the text the event was checked as, as JSON.stringify writes it', () => {
    const keys = fc.constantFrom(...PERSONAL, 'contactId', 'amount', 'nested', '$x', '7', '12', 'a"givenName', 'givenName\\');
    let told = 0;
    fc.assert(
      fc.property(fc.dictionary(keys, fc.jsonValue()), (data) => {
        const plan = planSeal(data, PERSONAL);
        fc.pre(plan !== undefined);
        const sealed = sealedData(STREAM, data, plan!, 'c2VhbGVk', 'c-1');
        const made = sealedDataJson(JSON.stringify(data), plan!, sealed);
        // Where it cannot tell (a personal key also nested in a value), it says so and the caller serialises.
        if (made !== undefined) {
          told++;
          expect(made).toBe(JSON.stringify(sealed));
        }
      }),
      { numRuns: 2_000 },
    );
    expect(told).toBeGreaterThan(1_000);
    // The usual event: told every time, whatever the field's place.
    const usual: Array<Record<string, unknown>> = [{ givenName: 'Ada' }, { givenName: 'Ada', amount: 1 }, { amount: 1, givenName: 'Ada' }, { a: 1, emails: ['x'], b: { city: 'no' }, note: 'n' }];
    for (const data of usual) {
      const plan = planSeal(data, PERSONAL)!;
      const sealed = sealedData(STREAM, data, plan, 'c2VhbGVk', 'c-1');
      expect(sealedDataJson(JSON.stringify(data), plan, sealed)).toBe(JSON.stringify(sealed));
    }
    // Field names and a kept subject that JSON must escape: the sealed string quoted as JSON.stringify does.
    const odd = { 'na"me\\': 'Ada', 'tab\t': 'x', other: 1 };
    const oddPlan = planSeal(odd, ['na"me\\', 'tab\t'])!;
    const oddSealed = sealedData('lead-7', odd, oddPlan, 'c2VhbGVk', 'c-"1\u2028');
    expect(sealedDataJson(JSON.stringify(odd), oddPlan, oddSealed)).toBe(JSON.stringify(oddSealed));
    // A personal key that is also a key deeper down: not told.
    const nested = { givenName: 'Ada', other: { givenName: 'Bob' } };
    const plan = planSeal(nested, PERSONAL)!;
    expect(sealedDataJson(JSON.stringify(nested), plan, sealedData(STREAM, nested, plan, 'c2VhbGVk', 'c-1'))).toBeUndefined();
  });

  it('seals the same values of one person in events of one type to the same bytes (idempotent re-appends compare equal), anything else differently', () => {
    const event = { id: randomUUID(), type: 'ContactRegistered' };
    const bytes = (sealed: Record<string, unknown>) => sealed[SEALED_FIELD];
    expect(seal(data, key, event).sealed).toEqual(seal(data, key, event).sealed);
    expect(bytes(seal(data, key, { ...event, id: randomUUID() }).sealed)).toEqual(bytes(seal(data, key, event).sealed));
    expect(bytes(seal(data, key, { ...event, type: 'ContactProfileChanged' }).sealed)).not.toEqual(bytes(seal(data, key, event).sealed));
    expect(bytes(seal({ ...data, givenName: `${data.givenName} ` }, key, event).sealed)).not.toEqual(bytes(seal(data, key, event).sealed));
    expect(bytes(seal(data, dataKey(), event).sealed)).not.toEqual(bytes(seal(data, key, event).sealed));
  });

  it('leaves data with no personal value present as it is', () => {
    const plain = { contactId: 'c-1', note: null, amount: '1.00' };
    expect(seal(plain, key).sealed).toBe(plain);
  });

  it('reads erased fields as markers of the same shape once the key is gone', () => {
    const { event, sealed } = seal(data, key);
    expect(open(event, sealed, undefined)).toEqual({ contactId: 'c-1', amount: '12.50', note: null, givenName: ERASED_TEXT, emails: [], address: {} });
  });

  it('refuses tampered ciphertext, another key, a changed field list, and sealed data moved to an event of another type', () => {
    const { event, sealed } = seal(data, key);
    const parts = partsOf(sealed);
    expect(parts[0]).toBe('3');
    const bytes = Buffer.from(parts[2], 'base64');
    bytes[20] ^= 1;
    const tampered = withParts(sealed, [parts[0], parts[1], bytes.toString('base64')]);
    expect(() => open(event, tampered, key)).toThrow(SealedDataError);
    expect(() => open(event, sealed, dataKey())).toThrow(/does not authenticate/);
    expect(() => open({ ...event, type: 'ContactProfileChanged' }, sealed, key)).toThrow(/does not authenticate/);
    // The field list is authenticated: two fields' names swapped would swap their values.
    const swapped = parts[1].split(',').reverse().join(',');
    expect(() => open(event, withParts(sealed, [parts[0], swapped, parts[2]]), key)).toThrow(/does not authenticate/);
    // Not bound to the event's id (v3): the person's same values in another event of the type are the same bytes.
    expect(open({ ...event, id: randomUUID() }, sealed, key)).toEqual(data);
  });

  it('still opens what the v2 form sealed, bound to the event\'s id', () => {
    const event = { id: randomUUID(), type: 'ContactRegistered' };
    const v2 = sealV2(event, data, 'c-1', key);
    expect(sealedPartOf(v2, STREAM)).toMatchObject({ version: 2, subject: 'c-1', fields: ['givenName', 'emails', 'address'] });
    expect(open(event, v2, key)).toEqual(data);
    expect(open(event, v2, undefined)).toEqual({ contactId: 'c-1', amount: '12.50', note: null, givenName: ERASED_TEXT, emails: [], address: {} });
    expect(() => open({ ...event, id: randomUUID() }, v2, key)).toThrow(/does not authenticate/);
  });

  it('refuses sealed data read under another subject than it was sealed for', () => {
    const { event, sealed } = seal(data, key);
    // The subject is not stored (contactId names it): another contactId in the event, or an explicit one, fails to open.
    expect(partsOf(sealed)).toHaveLength(3);
    expect(() => open(event, { ...sealed, contactId: 'c-2' }, key)).toThrow(/does not authenticate/);
    expect(() => open(event, withParts(sealed, [...partsOf(sealed), 'c-2']), key)).toThrow(/does not authenticate/);
  });

  it('keeps the subject where the event does not name it, and opens with it', () => {
    const event = { id: randomUUID(), type: 'LeadCaptured', streamId: 'lead-7' };
    // Sealed under the contact the lead became, which the lead's own events do not carry.
    const stored = sealPersonalFields(event, { givenName: 'Ada', source: 'web' }, PERSONAL, 'c-1', key);
    expect(partsOf(stored)[3]).toBe('c-1');
    expect(sealedPartOf(stored, 'lead-7')?.subject).toBe('c-1');
    expect(open(event, stored, key, 'lead-7')).toEqual({ givenName: 'Ada', source: 'web' });
  });

  it('is about half the size of the v1 form', () => {
    const { event, sealed } = seal(data, key);
    const v1 = sealV1(event, data, 'c-1', key);
    expect(JSON.stringify(sealed).length).toBeLessThan(JSON.stringify(v1).length - 60);
  });

  it('still opens and erases what the v1 form sealed', () => {
    const event = { id: randomUUID(), type: 'ContactRegistered' };
    const v1 = sealV1(event, data, 'c-1', key);
    expect(sealedPartOf(v1, STREAM)).toMatchObject({ version: 1, subject: 'c-1', fields: ['givenName', 'emails', 'address'] });
    expect(open(event, v1, key)).toEqual(data);
    expect(open(event, v1, undefined)).toEqual({ contactId: 'c-1', amount: '12.50', note: null, givenName: ERASED_TEXT, emails: [], address: {} });
    expect(() => open(event, { ...v1, [SEALED_FIELD]: { ...(v1[SEALED_FIELD] as object), s: 'c-2' } }, key)).toThrow(/does not authenticate/);
  });

  it('refuses a malformed sealed field', () => {
    for (const malformed of ['x', '2|x', '2|givenName|abc', '2|givenName:q|abc', '3|x', '3|givenName:q|abc', 42, null]) {
      expect(() => sealedPartOf({ [SEALED_FIELD]: malformed }, STREAM)).toThrow(SealedDataError);
    }
    expect(() => sealedPartOf({ [SEALED_FIELD]: '4|givenName:s|abc' }, STREAM)).toThrow(/version 4/);
    expect(() => sealedPartOf({ [SEALED_FIELD]: '23|givenName:s|abc' }, STREAM)).toThrow(/version 23/);
    expect(() => sealedPartOf({ [SEALED_FIELD]: { v: 2, s: 'a', f: {}, c: '' } }, STREAM)).toThrow(/version 2/);
    expect(() => sealedPartOf({ [SEALED_FIELD]: { v: 1, s: 'a', f: { givenName: 'q' }, c: '' } }, STREAM)).toThrow(/malformed/);
    expect(sealedPartOf({ a: 1 }, STREAM)).toBeUndefined();
  });

  it('refuses to seal a field whose name the sealed form cannot hold', () => {
    expect(() => sealPersonalFields({ id: 'e', type: 'T', streamId: 's' }, { 'a|b': 'x' }, ['a|b'], 's', key)).toThrow(SealedDataError);
  });

  describe('opened on access', () => {
    class Unreadable extends Error {}
    const onAccess = (event: { id: string; type: string }, stored: Record<string, unknown>, k: DataKey | undefined) =>
      openPersonalFieldsOnAccess(event, stored, sealedPartOf(stored, STREAM)!, k, (error) => new Unreadable(error.message));
    /** A key that counts its uses: a use is a decryption. */
    const counted = (inner: DataKey) => {
      const uses = { n: 0 };
      const k: DataKey = {
        get encryption() {
          uses.n++;
          return inner.encryption;
        },
        ivKey: inner.ivKey,
      };
      return { k, uses };
    };

    it('gives what openPersonalFields gives, as JSON and field by field', () => {
      fc.assert(
        fc.property(fc.dictionary(fc.constantFrom(...PERSONAL), fc.jsonValue()), fc.string(), (personal, other) => {
          const { event, sealed } = seal({ ...personal, other }, key);
          if (!(SEALED_FIELD in sealed)) return;
          expect(JSON.stringify(onAccess(event, sealed, key))).toBe(JSON.stringify(open(event, sealed, key)));
          expect({ ...onAccess(event, sealed, key) }).toEqual(open(event, sealed, key));
        }),
      );
    });

    it('decrypts once, at the first read of a personal field, not for the other fields', () => {
      const { event, sealed } = seal(data, key);
      const { k, uses } = counted(key);
      const opened = onAccess(event, sealed, k);
      expect([opened.contactId, opened.amount, Object.keys(opened).length]).toEqual(['c-1', '12.50', 6]);
      expect(uses.n).toBe(0);
      expect([opened.givenName, opened.emails, opened.address]).toEqual([data.givenName, data.emails, data.address]);
      expect(uses.n).toBe(1);
    });

    it('keeps a personal field written before it was read', () => {
      const { event, sealed } = seal(data, key);
      const opened = onAccess(event, sealed, key);
      opened.givenName = 'Grace';
      expect(opened).toEqual({ ...data, givenName: 'Grace' });
    });

    it('reads a frozen object too, decrypting once', () => {
      const { event, sealed } = seal(data, key);
      const { k, uses } = counted(key);
      const opened = Object.freeze(onAccess(event, sealed, k));
      expect([opened.givenName, opened.givenName, opened.emails]).toEqual([data.givenName, data.givenName, data.emails]);
      expect(uses.n).toBe(1);
    });

    it('throws what the caller makes of tampering where a personal field is read, every time', () => {
      const { event, sealed } = seal(data, key);
      const opened = onAccess({ ...event, type: 'ContactProfileChanged' }, sealed, key);
      expect(opened.contactId).toBe('c-1');
      expect(() => opened.givenName).toThrow(Unreadable);
      expect(() => JSON.stringify(opened)).toThrow(/does not authenticate/);
    });

    it('is a plain object that shows reflection nothing but its fields, before and after the first read', () => {
      const { event, sealed } = seal(data, key);
      const opened = onAccess(event, sealed, key);
      expect(Object.getPrototypeOf(opened)).toBe(Object.prototype);
      expect(Reflect.ownKeys(opened)).toEqual(Object.keys(opened));
      expect(opened.givenName).toBe(data.givenName);
      expect(Reflect.ownKeys(opened)).toEqual(Object.keys(opened));
    });

    it('fills erased fields at once', () => {
      const { event, sealed } = seal(data, key);
      expect(onAccess(event, sealed, undefined)).toEqual({ contactId: 'c-1', amount: '12.50', note: null, givenName: ERASED_TEXT, emails: [], address: {} });
    });
  });
});
