import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { IsOptional, IsString, IsUUID } from 'class-validator';
import { defineEvent, EventCatalogue, PersonalData, type RecordedEvent } from '@clientela/contracts';
import { EventStoreDbEventStore, PostgresEventStore, type EventStore } from '@clientela/event-store';
import { waitUntilReadable } from '@clientela/event-store/testing';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { DataKeyRing, migrateDataKeys } from './data-keys';
import { PersonalDataUnreadableError, SubjectErasedError } from './errors';
import { generateMasterKey, parseMasterKeys } from './master-keys';
import { PersonalDataProtection } from './personal-data-protection';
import { ERASED_TEXT, SEALED_FIELD } from './sealed-fields';

class CallLogged {
  @IsUUID() customerId!: string;
  @IsString() @PersonalData() notes!: string;
  @IsString() @PersonalData() phone!: string;
  @IsOptional() @IsString() outcome?: string;
}
const catalogue = new EventCatalogue([defineEvent({ type: 'CallLogged', payload: CallLogged })]);

const url = process.env.EVENTSTORE_URL;
const adapters: Array<[string, (database: TestDatabase, codec: PersonalDataProtection) => Promise<EventStore>]> = [
  ['PostgreSQL', (database, personalData) => PostgresEventStore.create({ connectionString: database.url, catalogue, personalData })],
];
if (url) adapters.push(['EventStoreDB', (_database, personalData) => EventStoreDbEventStore.connect({ connectionString: url, catalogue, personalData })]);
else process.stderr.write('\npersonal data at the store: EventStoreDB skipped: EVENTSTORE_URL is not set; EventStoreDB cannot run on this machine\n');

describe.each(adapters)('personal data sealed by the %s event store', (name, open) => {
  let database: TestDatabase;
  let pool: Pool;
  let store: EventStore;
  let keys: DataKeyRing;

  beforeAll(async () => {
    database = await createTestDatabase('clientela_personal_store');
    pool = database.pool();
    await migrateDataKeys(pool);
    keys = new DataKeyRing(pool, parseMasterKeys(generateMasterKey()));
    store = await open(database, new PersonalDataProtection(catalogue, keys));
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  const call = (customerId: string, notes: string) => ({ id: randomUUID(), type: 'CallLogged', data: { customerId, notes, phone: '+442071838750', outcome: 'callback' } });
  /** The stream's events as stored, once the whole store up to its last event is readable (other writers in the cluster hold the horizon back). */
  const stored = async (streamId: string): Promise<RecordedEvent[]> => {
    const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    await waitUntilReadable(store, last.position);
    return (await store.readAll({ raw: true, maxCount: 10_000 })).events.filter((event) => event.streamId === streamId);
  };
  /** What is stored of them, as text: payloads and metadata. */
  const storedText = async (...streamIds: string[]): Promise<string> =>
    JSON.stringify((await Promise.all(streamIds.map(stored))).flat().map(({ data, metadata }) => ({ data, metadata })));

  it('stores personal fields only sealed, reads them back in clear, and treats a retry as the same append', async () => {
    const customer = randomUUID();
    const streamId = `activity-${customer}`;
    const events = [call(customer, 'Wants to cancel: moving to Lisbon'), call(customer, 'Second call')];
    const first = await store.append(streamId, events, { expectedRevision: 'no_stream' });
    const again = await store.append(streamId, events, { expectedRevision: 'no_stream' });
    expect(again).toEqual(first);

    const raw = await storedText(streamId);
    for (const value of ['Lisbon', 'Second call', '+442071838750']) {
      expect(raw).not.toContain(value);
      expect(raw).not.toContain(Buffer.from(value).toString('base64'));
    }
    expect(raw).toContain('"outcome":"callback"');
    expect((await store.readStream(streamId)).map((e) => e.data)).toEqual(events.map((e) => e.data).map((d) => expect.objectContaining(d)));

    // A subscription delivers them opened too.
    const subscription = store.subscribeToAll({ filter: { eventTypes: ['CallLogged'] } });
    const seen: RecordedEvent[] = [];
    for await (const page of subscription.pages()) {
      seen.push(...page.events.filter((e) => e.streamId === streamId));
      if (seen.length >= 2 || page.caughtUp) break;
    }
    await subscription.close();
    expect(seen.map((e) => e.data.notes)).toEqual(['Wants to cancel: moving to Lisbon', 'Second call']);
  });

  it('reads the events of an erased person as erased, keeps what is not personal, and refuses new personal data about them', async () => {
    const customer = randomUUID();
    const streamId = `activity-${customer}`;
    await store.append(streamId, [call(customer, 'Complained about delivery')]);
    const before = await stored(streamId);
    await keys.destroy([customer]);
    const [read] = await store.readStream(streamId);
    expect(read.data).toEqual({ customerId: customer, outcome: 'callback', notes: ERASED_TEXT, phone: ERASED_TEXT });
    // Nothing stored changed: the key is what was destroyed.
    expect(await stored(streamId)).toEqual(before);
    await expect(store.append(streamId, [call(customer, 'Called again')])).rejects.toThrow(SubjectErasedError);
    expect(await store.readStream(streamId)).toHaveLength(1);
  });

  it('seals every stream of a multi-stream append', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    try {
      await store.appendToStreams([
        { streamId: `activity-${a}`, events: [call(a, 'note for a')] },
        { streamId: `activity-${b}`, events: [call(b, 'note for b')] },
      ]);
    } catch (error) {
      // EventStoreDB's adapter refuses multi-stream appends (its client cannot reach them); that is its contract.
      if ((error as { code?: string }).code === 'multi_stream_append_unsupported') return;
      throw error;
    }
    expect(await storedText(`activity-${a}`, `activity-${b}`)).not.toContain('note for');
    expect((await store.readStream(`activity-${b}`))[0].data.notes).toBe('note for b');
  });

  if (name === 'PostgreSQL') {
    it('names the event whose sealed data was tampered with in the table', async () => {
      const customer = randomUUID();
      const streamId = `activity-${customer}`;
      await store.append(streamId, [call(customer, 'original')]);
      const [event] = await stored(streamId);
      const [version, fields, ciphertext] = (event.data[SEALED_FIELD] as string).split('|');
      const forged = Buffer.from(ciphertext, 'base64');
      forged[forged.length - 1] ^= 0xff;
      const tampered = `${version}|${fields}|${forged.toString('base64')}`;
      await pool.query(`update event_store.events set data = jsonb_set(data, '{${SEALED_FIELD}}', to_jsonb($1::text)) where event_id = $2`, [tampered, event.id]);
      // The store's reads decrypt on the first read of a personal field: that read throws, naming the event.
      const [read] = await store.readStream(streamId);
      expect(read.data.outcome).toBe('callback');
      expect(() => read.data.notes).toThrow(PersonalDataUnreadableError);
      expect(() => JSON.stringify(read.data)).toThrow(new RegExp(`event ${event.id} \\(CallLogged\\)`));
    });
  }
});
