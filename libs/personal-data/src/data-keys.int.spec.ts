import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { IsString, IsUUID, IsOptional } from 'class-validator';
import { defineEvent, EventCatalogue, PersonalData, START, type RecordedEvent } from '@clientela/contracts';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { DataKeyRing, migrateDataKeys } from './data-keys';
import { DataKeyMissingError, PersonalDataUnreadableError, SubjectErasedError } from './errors';
import { generateMasterKey, parseMasterKeys } from './master-keys';
import { PersonalDataProtection, type SealableEvent } from './personal-data-protection';
import { ERASED_TEXT, SEALED_FIELD } from './sealed-fields';

class NoteTaken {
  @IsUUID() customerId!: string;
  @IsString() @PersonalData() text!: string;
  @IsOptional() @IsString() channel?: string;
}
const catalogue = new EventCatalogue([defineEvent({ type: 'NoteTaken', payload: NoteTaken })]);

const recorded = (streamId: string, event: { id: string; type: string; data: Record<string, unknown> }, revision = 0): RecordedEvent => ({
  ...event,
  streamId: streamId as RecordedEvent['streamId'],
  revision,
  position: START,
  metadata: { schemaVersion: 1 },
  recordedAt: new Date(),
});

describe('data keys in PostgreSQL, and sealing through them', () => {
  let database: TestDatabase;
  let pool: Pool;
  const master = generateMasterKey();
  const ring = () => new DataKeyRing(pool, parseMasterKeys(master));

  beforeAll(async () => {
    database = await createTestDatabase('clientela_personal_data');
    pool = database.pool();
    await migrateDataKeys(pool);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const note = (customerId: string, text: string): SealableEvent => ({ id: randomUUID(), type: 'NoteTaken', data: { customerId, text, channel: 'phone' } });

  it('creates one key per person even when processes race for it, and every process opens what another sealed', async () => {
    const customer = randomUUID();
    const [a, b] = [new PersonalDataProtection(catalogue, ring()), new PersonalDataProtection(catalogue, ring())];
    const events = Array.from({ length: 20 }, (_, i) => note(customer, `note ${i}`));
    const [sealedA, sealedB] = await Promise.all([a.seal([{ streamId: `activity-${customer}`, events }]), b.seal([{ streamId: `activity-${customer}`, events }])]);
    // The same key sealed both: deterministic sealing gives the same bytes.
    expect(sealedA).toEqual(sealedB);
    expect((await pool.query('select count(*)::int as n from privacy.data_keys where subject = $1', [customer])).rows[0].n).toBe(1);
    const opened = await new PersonalDataProtection(catalogue, ring()).open(sealedA[0].map((e) => recorded(`activity-${customer}`, e)));
    expect(opened.map((e) => e.data.text)).toEqual(events.map((e) => e.data.text));
  });

  it('reads an erased person as erased from then on, everywhere, and refuses new personal data about them', async () => {
    const customer = randomUUID();
    const keys = ring();
    const protection = new PersonalDataProtection(catalogue, keys);
    const [[sealed]] = await protection.seal([{ streamId: `activity-${customer}`, events: [note(customer, 'rang about the invoice')] }]);
    expect(await keys.destroy([customer])).toBe(1);
    expect(await keys.destroy([customer])).toBe(0); // idempotent
    for (const reader of [protection, new PersonalDataProtection(catalogue, ring())]) {
      const [opened] = await reader.open([recorded(`activity-${customer}`, sealed)]);
      expect(opened.data).toEqual({ customerId: customer, channel: 'phone', text: ERASED_TEXT });
    }
    await expect(protection.seal([{ streamId: `activity-${customer}`, events: [note(customer, 'again')] }])).rejects.toThrow(SubjectErasedError);
    // Nothing personal about them: still stored.
    const [[plain]] = await protection.seal([{ streamId: `activity-${customer}`, events: [{ id: randomUUID(), type: 'NoteTaken', data: { customerId: customer, text: undefined as unknown as string } }] }]);
    expect(plain.data).not.toHaveProperty(SEALED_FIELD);
    // A person erased before any key was made stays erased too.
    const never = randomUUID();
    await keys.destroy([never]);
    await expect(protection.seal([{ streamId: `activity-${never}`, events: [note(never, 'x')] }])).rejects.toThrow(SubjectErasedError);
  });

  it('sees another process erase a key it holds within the time it trusts cached keys, without fetching the key again', async () => {
    const customer = randomUUID();
    const reader = new DataKeyRing(pool, parseMasterKeys(master), { cacheTtlMs: 0 });
    const protection = new PersonalDataProtection(catalogue, reader);
    const [[sealed]] = await protection.seal([{ streamId: `activity-${customer}`, events: [note(customer, 'ask for Ann')] }]);
    expect((await protection.open([recorded(`activity-${customer}`, sealed)]))[0].data.text).toBe('ask for Ann');
    await ring().destroy([customer]);
    expect((await protection.open([recorded(`activity-${customer}`, sealed)]))[0].data.text).toBe(ERASED_TEXT);
    await expect(protection.seal([{ streamId: `activity-${customer}`, events: [note(customer, 'again')] }])).rejects.toThrow(SubjectErasedError);
  });

  it('names the event when sealed data was tampered with, and the subject when its key is not here', async () => {
    const customer = randomUUID();
    const protection = new PersonalDataProtection(catalogue, ring());
    const [[sealed]] = await protection.seal([{ streamId: `activity-${customer}`, events: [note(customer, 'secret')] }]);
    // The sealed form (v2): version | fields | base64 ciphertext [| subject, where the event does not name it].
    const [version, fields, ciphertext] = (sealed.data[SEALED_FIELD] as string).split('|');
    // Flip a bit of the ciphertext: overwriting its first character with a fixed one left it
    // unchanged whenever it already was that character (one run in 64).
    const forged = Buffer.from(ciphertext, 'base64');
    forged[0] ^= 1;
    const tampered = { ...sealed, data: { ...sealed.data, [SEALED_FIELD]: `${version}|${fields}|${forged.toString('base64')}` } };
    await expect(protection.open([recorded(`activity-${customer}`, tampered)])).rejects.toThrow(
      new PersonalDataUnreadableError(sealed.id, 'NoteTaken', customer, 'the ciphertext does not authenticate (tampered, or sealed under another key or for another event)'),
    );
    const strangerId = randomUUID();
    const stranger = { ...sealed, data: { ...sealed.data, [SEALED_FIELD]: `${version}|${fields}|${ciphertext}|${strangerId}` } };
    await expect(protection.open([recorded(`activity-${customer}`, stranger)])).rejects.toThrow(
      new PersonalDataUnreadableError(sealed.id, 'NoteTaken', strangerId, new DataKeyMissingError(strangerId).message),
    );
  });

  it('names the event when the master key is not the one its data key was wrapped with', async () => {
    const customer = randomUUID();
    const [[sealed]] = await new PersonalDataProtection(catalogue, ring()).seal([{ streamId: `activity-${customer}`, events: [note(customer, 'secret')] }]);
    const elsewhere = new PersonalDataProtection(catalogue, new DataKeyRing(pool, parseMasterKeys(generateMasterKey())));
    const opening = elsewhere.open([recorded(`activity-${customer}`, sealed)]);
    await expect(opening).rejects.toThrow(PersonalDataUnreadableError);
    await expect(elsewhere.open([recorded(`activity-${customer}`, sealed)])).rejects.toThrow(new RegExp(`event ${sealed.id} \\(NoteTaken\\).*master key`));
  });

  it('rotates the master key while processes on the old and the new configuration keep reading', async () => {
    const customers = Array.from({ length: 2_500 }, () => randomUUID());
    const events = customers.map((customer) => note(customer, `hello ${customer}`));
    const old = new PersonalDataProtection(catalogue, ring());
    const sealed = (await old.seal(customers.map((customer, i) => ({ streamId: `activity-${customer}`, events: [events[i]] })))).flat();
    const erased = customers[7];
    await ring().destroy([erased]);

    const next = generateMasterKey();
    const during = new DataKeyRing(pool, parseMasterKeys(next, master));
    const batches: number[] = [];
    const rewrapped = await during.rewrap(1_000, (done) => batches.push(done));
    // Every live key of this test (and of the tests before it) moved to the new master key; the erased one stayed erased.
    expect(rewrapped).toBeGreaterThanOrEqual(customers.length - 1);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from privacy.data_keys where wrapped_key is not null and master_key_id <> $1', [parseMasterKeys(next).current.id]);
    expect(rows[0].n).toBe(0);

    // Once rotated, the old master key can go: a process with only the new one reads everything.
    const after = new PersonalDataProtection(catalogue, new DataKeyRing(pool, parseMasterKeys(next)));
    const opened = await after.open(sealed.map((event, i) => recorded(`activity-${customers[i]}`, event)));
    expect(opened.map((e) => e.data.text)).toEqual(customers.map((c) => (c === erased ? ERASED_TEXT : `hello ${c}`)));
  });
});
