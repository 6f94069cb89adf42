import { execFile } from 'node:child_process';
import { createHmac, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IsOptional, IsString, IsUUID } from 'class-validator';
import { defineEvent, EventCatalogue, PersonalData, START, type RecordedEvent } from '@clientela/contracts';
import { prepareAppend, preparedJsonOf } from '@clientela/event-store';
import type { DataKeyRing, KeyState } from './data-keys';
import { PersonalDataProtection, type SealableEvent } from './personal-data-protection';
import { SEALED_FIELD, type DataKey } from './sealed-fields';
import { SEAL_IN_WORKER_FROM, SealingWorker } from './sealing-worker';

class NoteTaken {
  @IsUUID() customerId!: string;
  @IsOptional() @IsString() @PersonalData() text?: string | null;
  @IsOptional() @IsString() @PersonalData() email?: string;
  @IsOptional() @IsString() channel?: string;
}
const catalogue = new EventCatalogue([defineEvent({ type: 'NoteTaken', payload: NoteTaken })]);

/** Keys in memory, as a ring with every key cached has them. */
const ring = (): DataKeyRing => {
  const keys = new Map<string, DataKey>();
  return {
    keysFor: async (subjects: Iterable<string>) => {
      const found = new Map<string, KeyState>();
      for (const subject of subjects) {
        let key = keys.get(subject);
        if (key === undefined) {
          const raw = randomBytes(32);
          keys.set(subject, (key = { encryption: createSecretKey(raw), ivKey: createHmac('sha256', raw).update('iv').digest() }));
        }
        found.set(subject, key);
      }
      return found;
    },
  } as unknown as DataKeyRing;
};

/** `count` notes by a few customers into two streams, some with no personal value at all (nothing to seal). */
const appends = (count: number) => {
  const customers = Array.from({ length: 5 }, () => randomUUID());
  const note = (i: number): SealableEvent => ({
    id: randomUUID(),
    type: 'NoteTaken',
    data: { customerId: customers[i % 5], text: i % 7 === 0 ? null : `note ${i} ✓ ${'x'.repeat(i % 50)}`, email: i % 2 ? `c${i}@example.com` : undefined, channel: 'phone' },
  });
  return [
    { streamId: 'activity-a', events: Array.from({ length: Math.ceil(count / 2) }, (_, i) => note(i)) },
    { streamId: 'activity-b', events: Array.from({ length: Math.floor(count / 2) }, (_, i) => note(1000 + i)) },
  ];
};

const recorded = (streamId: string, event: SealableEvent): RecordedEvent => ({
  ...event,
  streamId: streamId as RecordedEvent['streamId'],
  revision: 0,
  position: START,
  metadata: { schemaVersion: 1 },
  recordedAt: new Date(),
});

describe('the sealing thread', () => {
  it('seals a large call to the same bytes as sealing inline, and what it seals opens', async () => {
    const thread = new SealingWorker();
    expect(await thread.ready()).toBe(true);
    const keys = ring();
    const viaThread = new PersonalDataProtection(catalogue, keys, { sealingThread: thread });
    const inline = new PersonalDataProtection(catalogue, keys, { sealingThread: false });
    const used = jest.spyOn(thread, 'seal');
    const calls = appends(3 * SEAL_IN_WORKER_FROM);
    const sealed = await viaThread.seal(calls);
    expect(used.mock.results[0].value).toBeInstanceOf(Promise);
    expect(JSON.stringify(sealed)).toBe(JSON.stringify(await inline.seal(calls)));
    // Nothing personal in clear, and the events without a personal value untouched.
    const text = JSON.stringify(sealed);
    expect(text).not.toContain('example.com');
    expect(text).not.toContain('note 1');
    expect(sealed[0][0]).toBe(calls[0].events[0]);
    expect(sealed[0][1].data[SEALED_FIELD]).toEqual(expect.any(String));
    const opened = await inline.open(sealed.flatMap((events, a) => events.map((event) => recorded(calls[a].streamId, event))));
    expect(opened.map((event) => event.data)).toEqual(calls.flatMap(({ events }) => events.map((event) => event.data)));
  });

  it('gives each sealed event the JSON text the adapter writes, made without serialising it again', async () => {
    const protection = new PersonalDataProtection(catalogue, ring(), { sealingThread: false });
    const [{ events }] = appends(40);
    const prepared = prepareAppend(catalogue, `activity-${randomUUID()}` as RecordedEvent['streamId'], events.map(({ type, data }) => ({ type, data })));
    const [sealed] = await protection.seal([prepared]);
    const changed = sealed.filter((event, index) => event !== prepared.events[index]);
    expect(changed.length).toBeGreaterThan(15);
    for (const event of changed) {
      expect(event.json?.of.data).toBe(event.data);
      expect(preparedJsonOf(event).data).toBe(JSON.stringify(event.data));
      expect(preparedJsonOf(event).metadata).toBe(JSON.stringify(event.metadata));
    }
  });

  it('ends a thread left idle, and starts another for the next large call', async () => {
    const thread = new SealingWorker(undefined, 100);
    const protection = new PersonalDataProtection(catalogue, ring(), { sealingThread: thread });
    expect(await thread.ready()).toBe(true);
    await protection.seal(appends(2 * SEAL_IN_WORKER_FROM));
    expect(thread.running).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(thread.running).toBe(false);
    // Sealed inline while the next one starts.
    const calls = appends(2 * SEAL_IN_WORKER_FROM);
    expect((await protection.seal(calls))[0]).toHaveLength(calls[0].events.length);
    expect(await thread.ready()).toBe(true);
    expect(thread.running).toBe(true);
  });

  it('seals one person\'s same values in events of one type once: within a call, and again while the key is held', async () => {
    const thread = new SealingWorker();
    expect(await thread.ready()).toBe(true);
    const keys = ring();
    const protection = new PersonalDataProtection(catalogue, keys, { sealingThread: thread });
    const inline = new PersonalDataProtection(catalogue, keys, { sealingThread: false });
    const used = jest.spyOn(thread, 'seal');
    // 120 notes by 40 customers, each customer's three with the same email and no text; 40 more with a text each.
    const customers = Array.from({ length: 40 }, () => randomUUID());
    const same = (i: number): SealableEvent => ({ id: randomUUID(), type: 'NoteTaken', data: { customerId: customers[i % 40], email: `c${i % 40}@example.com` } });
    const own = (i: number): SealableEvent => ({ id: randomUUID(), type: 'NoteTaken', data: { customerId: customers[i], email: `c${i}@example.com`, text: `note ${i}` } });
    const first = [{ streamId: 'activity-a', events: [...Array.from({ length: 120 }, (_, i) => same(i)), ...Array.from({ length: 40 }, (_, i) => own(i))] }];
    const sealed = await protection.seal(first);
    expect(used.mock.calls[0][0]).toHaveLength(80);
    expect(JSON.stringify(sealed)).toBe(JSON.stringify(await inline.seal(first)));
    // The same values again in another call: nothing left to seal, the held texts answer.
    const again = [{ streamId: 'activity-b', events: Array.from({ length: 40 }, (_, i) => same(i)) }];
    const sealedAgain = await protection.seal(again);
    expect(used.mock.calls[1][0]).toHaveLength(0);
    expect(sealedAgain[0].map((event) => event.data[SEALED_FIELD])).toEqual(sealed[0].slice(0, 40).map((event) => event.data[SEALED_FIELD]));
    const opened = await inline.open(sealedAgain[0].map((event) => recorded('activity-b', event)));
    expect(opened.map((event) => event.data)).toEqual(again[0].events.map((event) => event.data));
  });

  it('holds no sealed text of a long value (free text seldom comes twice), and at most four a key', async () => {
    const thread = new SealingWorker();
    const protection = new PersonalDataProtection(catalogue, ring(), { sealingThread: thread });
    const used = jest.spyOn(thread, 'seal');
    const customerId = randomUUID();
    const note = (text: string, email?: string): SealableEvent => ({ id: randomUUID(), type: 'NoteTaken', data: { customerId, text, email } });
    const long = `a long call note ${'x'.repeat(300)}`;
    const call = (events: SealableEvent[]) => protection.seal([{ streamId: 'activity-a', events }]);
    await call([note(long), note(long)]);
    expect(used.mock.calls[0][0]).toHaveLength(1);
    await call([note(long)]);
    expect(used.mock.calls[1][0]).toHaveLength(1);
    // Five short values: the first is no longer held once the fifth is.
    await call(['a', 'b', 'c', 'd', 'e'].map((text) => note(text)));
    await call([note('e'), note('b'), note('a')]);
    expect(used.mock.calls[3][0].map((job) => job.input.plaintext)).toEqual(['["a"]']);
  });

  it('leaves small calls to be sealed inline', () => {
    const thread = new SealingWorker();
    const job = { input: { type: 'NoteTaken', subject: 's', fieldList: 'text:s', plaintext: '["a"]' }, key: { encryption: createSecretKey(randomBytes(32)), ivKey: randomBytes(32) } };
    expect(thread.seal(Array.from({ length: SEAL_IN_WORKER_FROM - 1 }, () => job))).toBeUndefined();
  });

  it('seals inline when the thread does not start, and gives up on it after three tries', async () => {
    const broken = new SealingWorker('throw new Error("no thread here")');
    const protection = new PersonalDataProtection(catalogue, ring(), { sealingThread: broken });
    for (let attempt = 1; attempt <= 3; attempt++) expect(await broken.ready()).toBe(false);
    expect(await broken.ready()).toBe(false);
    const calls = appends(2 * SEAL_IN_WORKER_FROM);
    const sealed = await protection.seal(calls);
    const opened = await protection.open(sealed.flatMap((events, a) => events.map((event) => recorded(calls[a].streamId, event))));
    expect(opened.map((event) => event.data)).toEqual(calls.flatMap(({ events }) => events.map((event) => event.data)));
  });

  it('seals inline the calls a thread that dies had taken', async () => {
    // Loads, says it is ready, then exits on its first batch.
    const dying = new SealingWorker(
      `const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => process.exit(3)); parentPort.postMessage({ ready: true });`,
    );
    expect(await dying.ready()).toBe(true);
    const keys = ring();
    const protection = new PersonalDataProtection(catalogue, keys, { sealingThread: dying });
    const inline = new PersonalDataProtection(catalogue, keys, { sealingThread: false });
    const calls = appends(2 * SEAL_IN_WORKER_FROM);
    const used = jest.spyOn(dying, 'seal');
    const [first, second] = await Promise.all([protection.seal(calls), protection.seal(calls)]);
    expect(used.mock.results[0].value).toBeInstanceOf(Promise);
    const expected = JSON.stringify(await inline.seal(calls));
    expect(JSON.stringify(first)).toBe(expected);
    expect(JSON.stringify(second)).toBe(expected);
  });

  it('keeps a process alive while it waits for the thread, and lets it end once idle', async () => {
    // Nothing else holds this process: without the hold it would exit before the answer, with one kept after it, it would never end.
    const script = `
      require(${JSON.stringify(require.resolve('@swc-node/register'))});
      const { createSecretKey, randomBytes } = require('node:crypto');
      const { SealingWorker, SEAL_IN_WORKER_FROM } = require(${JSON.stringify(join(__dirname, 'sealing-worker.ts'))});
      const thread = new SealingWorker();
      const key = { encryption: createSecretKey(randomBytes(32)), ivKey: randomBytes(32) };
      const jobs = Array.from({ length: SEAL_IN_WORKER_FROM }, (_, i) => ({ input: { type: 'T', subject: 's', fieldList: 'x:s', plaintext: '["x' + i + '"]' }, key }));
      thread.ready().then((ready) => thread.seal(jobs).then((sealed) => console.log(ready, sealed.length, new Set(sealed).size)));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 60_000 });
    expect(stdout.trim()).toBe(`true ${SEAL_IN_WORKER_FROM} ${SEAL_IN_WORKER_FROM}`);
  });
});
