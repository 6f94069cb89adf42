import type { EventCatalogue, RecordedEvent } from '@clientela/contracts';
import type { PersonalDataCodec, PreparedJson } from '@clientela/event-store';
import { DataKeyMissingError, MasterKeyError, PersonalDataUnreadableError, SubjectErasedError } from './errors';
import type { DataKeyRing, KeyState } from './data-keys';
import { SealingWorker } from './sealing-worker';
import type { SealingJob } from './sealing-batch';
import {
  isSealed,
  planSeal,
  sealedData,
  sealedDataJson,
  sealInputNow,
  type SealPlan,
  openPersonalFields,
  openPersonalFieldsOnAccess,
  sealedPartOf,
  SealedDataError,
  subjectOf,
  type DataKey,
  type EventIdentity,
  type SealedPersonalData,
} from './sealed-fields';

/** An event as an adapter is about to write it (validated, id fixed), with the JSON text it was checked as, where it has it. */
export interface SealableEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  json?: PreparedJson;
}

/** A sealed text kept for its key and plaintext, with the rest of its input. */
interface HeldText {
  type: string;
  fieldList: string;
  text: string;
}

/**
 * What a data key keeps: its last few sealed texts of values short enough to repeat (an email, a
 * phone, an external id), not free text, which seldom comes twice. With the ring's 100,000 keys that
 * bounds what the held texts can take to about 100,000 × 4 × 1 KB.
 */
const SEALED_TEXTS_PER_KEY = 4;
const HELD_PLAINTEXT_MAX = 256;

const hasPersonalValue = (data: Record<string, unknown>, fields: readonly string[]): boolean => {
  for (const field of fields) if (data[field] !== undefined && data[field] !== null) return true;
  return false;
};

export interface PersonalDataProtectionOptions {
  /** Where large seals' cipher work runs: the process's sealing thread (default), another one (tests), or false: always inline. */
  sealingThread?: boolean | SealingWorker;
}

/**
 * Seals the personal fields of events before an adapter writes them and opens them after it reads
 * them: the one place both event store adapters call, so every service gets it without code of its own.
 */
export class PersonalDataProtection implements PersonalDataCodec {
  private readonly thread: SealingWorker | undefined;
  /**
   * Sealed texts by data key, then by plaintext: what sealing gives again for the same input. An
   * entry lives as long as its key object (the ring drops it on erasure or eviction), and a key
   * holds its last SEALED_TEXTS_PER_KEY of plaintexts up to HELD_PLAINTEXT_MAX.
   */
  private readonly sealedTexts = new WeakMap<DataKey, Map<string, HeldText>>();

  constructor(
    private readonly catalogue: EventCatalogue,
    private readonly keys: DataKeyRing,
    options: PersonalDataProtectionOptions = {},
  ) {
    const thread = options.sealingThread ?? true;
    this.thread = thread === false ? undefined : thread === true ? SealingWorker.shared() : thread;
  }

  /**
   * The same appends with personal fields sealed under each subject's key (created on first use).
   * One key lookup for the whole call. Sealing is deterministic, so one person's same values in
   * events of one type (the same email on every order) are sealed once: within the call, and
   * across calls while the key is held (`sealedTexts`). The cipher work of what is left goes to the
   * sealing thread when there is enough of it.
   */
  async seal<E extends SealableEvent>(appends: ReadonlyArray<{ streamId: string; events: readonly E[] }>): Promise<E[][]> {
    // First pass: whose key each event with a personal value needs (undefined: nothing to seal).
    const subjectsOf: Array<Array<string | undefined>> = [];
    const subjects = new Set<string>();
    for (const { streamId, events } of appends) {
      const planned = new Array<string | undefined>(events.length);
      for (let e = 0; e < events.length; e++) {
        const { type, data } = events[e];
        if (!this.catalogue.has(type) || !hasPersonalValue(data, this.catalogue.personalFields(type))) continue;
        subjects.add((planned[e] = subjectOf(streamId, data)));
      }
      subjectsOf.push(planned);
    }
    if (subjects.size === 0) return appends.map(({ events }) => [...events]);
    const keys = await this.keys.keysFor(subjects, true);
    const sealed = appends.map(({ events }) => [...events]);
    // Each event to seal, with its sealed text where it is known already, else the job that makes it.
    const planned: Array<{ a: number; e: number; plan: SealPlan; subject: string; held: Map<string, HeldText>; text: string | undefined; job: number }> = [];
    const jobs: SealingJob[] = [];
    /** This call's jobs by key, then by plaintext (type and field list compared on the job). */
    const jobOf = new Map<Map<string, HeldText>, Map<string, number>>();
    appends.forEach(({ events }, a) => {
      for (let e = 0; e < events.length; e++) {
        const subject = subjectsOf[a][e];
        if (subject === undefined) continue;
        const key = keys.get(subject);
        if (key === undefined || key === 'erased') throw new SubjectErasedError(subject, a);
        const { type, data } = events[e];
        const plan = planSeal(data, this.catalogue.personalFields(type));
        if (plan === undefined) continue;
        let held = this.sealedTexts.get(key);
        if (held === undefined) this.sealedTexts.set(key, (held = new Map()));
        // The key object stands for the subject (a ring holds one per subject): the same plaintext, type and field list are the same input.
        const found = held.get(plan.plaintext);
        const text = found !== undefined && found.type === type && found.fieldList === plan.fieldList ? found.text : undefined;
        let job = -1;
        if (text === undefined) {
          let calls = jobOf.get(held);
          if (calls === undefined) jobOf.set(held, (calls = new Map()));
          job = calls.get(plan.plaintext) ?? -1;
          if (job < 0 || jobs[job].input.type !== type || jobs[job].input.fieldList !== plan.fieldList) {
            calls.set(plan.plaintext, (job = jobs.length));
            jobs.push({ input: { type, subject, fieldList: plan.fieldList, plaintext: plan.plaintext }, key });
          }
        }
        planned.push({ a, e, plan, subject, held, text, job });
      }
    });
    const inThread = this.thread?.seal(jobs);
    const fromThread = inThread ? await inThread.catch(() => undefined) : undefined;
    // Inline where the thread was not used or failed: the same bytes either way.
    const made = jobs.map((job, index) => fromThread?.[index] ?? sealInputNow(job.input, job.key));
    for (const { a, e, plan, subject, held, text, job } of planned) {
      let ciphertext = text;
      if (ciphertext === undefined) {
        ciphertext = made[job];
        if (plan.plaintext.length <= HELD_PLAINTEXT_MAX) {
          if (held.size >= SEALED_TEXTS_PER_KEY && !held.has(plan.plaintext)) held.delete(held.keys().next().value as string);
          held.set(plan.plaintext, { type: jobs[job].input.type, fieldList: plan.fieldList, text: ciphertext });
        }
      }
      const event = appends[a].events[e];
      const data = sealedData(appends[a].streamId, event.data, plan, ciphertext, subject);
      // The sealed data's JSON text from the text the event was checked as, where it can be (the adapter writes that text).
      const json = event.json?.of.data === event.data ? sealedDataJson(event.json.data, plan, data) : undefined;
      // Where it cannot, the adapter serialises the data again (and keeps the metadata's text).
      sealed[a][e] = { ...event, data, json: json === undefined || !event.json ? event.json : { ...event.json, of: { ...event.json.of, data }, data: json } };
    }
    return sealed;
  }

  isSealed(event: RecordedEvent): boolean {
    return isSealed(event.data);
  }

  /** The events with their personal fields opened, or erased where the subject's key was destroyed. */
  async open<E extends RecordedEvent>(events: readonly E[]): Promise<E[]> {
    return this.openWith(events, (event, part, key) => {
      try {
        return openPersonalFields(event, event.data, part, key);
      } catch (error) {
        throw this.unreadable(event, part.subject, error);
      }
    });
  }

  /**
   * `open`, but each event's personal fields are decrypted on their first read (see
   * openPersonalFieldsOnAccess): what the event store's reads give. The sealed part's shape and the
   * keys are checked here, as in `open`; tampered ciphertext throws PersonalDataUnreadableError,
   * naming the event, where a personal field is first read. The opened data goes into the given
   * events (the adapters pass events they have just decoded: a copy of each would be garbage).
   */
  async openOnAccess<E extends RecordedEvent>(events: readonly E[]): Promise<E[]> {
    return this.openWith(events, (event, part, key) => openPersonalFieldsOnAccess(event, event.data, part, key, this.unreadableOnAccess), true);
  }

  /** The sealed parts checked, the keys of their subjects in one lookup, then `openOne` for each sealed event. */
  private async openWith<E extends RecordedEvent>(
    events: readonly E[],
    openOne: (event: E, part: SealedPersonalData, key: DataKey | undefined) => Record<string, unknown>,
    inPlace = false,
  ): Promise<E[]> {
    // One pass: each event's sealed part (checked) and the distinct subjects (a page's events come in runs of one person's).
    const sealed = new Array<SealedPersonalData | undefined>(events.length);
    const subjects = new Set<string>();
    let last: string | undefined;
    for (let index = 0; index < events.length; index++) {
      let part: SealedPersonalData | undefined;
      try {
        part = sealedPartOf(events[index].data, events[index].streamId);
      } catch (error) {
        throw this.unreadable(events[index], '?', error);
      }
      sealed[index] = part;
      if (part !== undefined && part.subject !== last) subjects.add((last = part.subject));
    }
    if (subjects.size === 0) return [...events];
    let keys: Map<string, KeyState>;
    try {
      keys = await this.keys.keysFor(subjects, false);
    } catch (error) {
      // No key here for the subject, or one the master key does not open: name the event it stops.
      if (!(error instanceof DataKeyMissingError || error instanceof MasterKeyError)) throw error;
      const index = sealed.findIndex((part) => part !== undefined && (error.subject === undefined || part.subject === error.subject));
      throw new PersonalDataUnreadableError(events[index].id, events[index].type, sealed[index]!.subject, error.message);
    }
    return events.map((event, index) => {
      const part = sealed[index];
      if (part === undefined) return event;
      const key = keys.get(part.subject);
      const data = openOne(event, part, key === 'erased' ? undefined : key);
      if (!inPlace) return { ...event, data };
      (event as { data: Record<string, unknown> }).data = data;
      return event;
    });
  }

  private readonly unreadableOnAccess = (error: SealedDataError, event: EventIdentity, subject: string): Error =>
    new PersonalDataUnreadableError(event.id, event.type, subject, error.message);

  private unreadable(event: RecordedEvent, subject: string, error: unknown): Error {
    if (!(error instanceof SealedDataError)) return error instanceof Error ? error : new Error(String(error));
    return new PersonalDataUnreadableError(event.id, event.type, subject, error.message);
  }
}
