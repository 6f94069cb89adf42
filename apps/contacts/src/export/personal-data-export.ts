import { Inject, Injectable } from '@nestjs/common';
import { formatPosition, NotFoundError, UnavailableError, type RecordedEvent } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { SEALED_FIELD, sealedSubjectOf, subjectOf } from '@clientela/personal-data';
import { EVENT_STORE, SERVICE_INFRASTRUCTURE, type ServiceInfrastructure } from '@clientela/service-kit';
import { ContactsQueries, type ContactView } from '../contacts/contacts.queries';
import { leadSubject, PersonContactsReader } from '../erasure/person-contacts';

export interface ExportedEvent {
  id: string;
  type: string;
  streamId: string;
  revision: number;
  position: string;
  recordedAt: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** Everything the platform holds about one person (GDPR article 15), decrypted. */
export interface PersonalDataExport {
  contactId: string;
  /** The contact it counts as, and every contact that is the same person (merged into it). */
  survivor: string;
  contacts: string[];
  leadIds: string[];
  erased: boolean;
  exportedAt: string;
  /** The survivor as the contacts read model shows it (identities, consents, custom values of its merged contacts included); null before it has read it. */
  profile: ContactView | null;
  /** Every event of every context about them, in store order, personal fields opened (or read as erased). */
  events: ExportedEvent[];
}

const PAGE = 1_000;

/** The person an event as stored is about: the subject its personal fields are sealed under, else the one they would be. */
const storedSubjectOf = (event: RecordedEvent): string => {
  try {
    return sealedSubjectOf(event) ?? subjectOf(event.streamId, event.data);
  } catch {
    // A malformed sealed field: the event is still about whom it says in clear (opening it names the fault).
    return subjectOf(event.streamId, event.data);
  }
};

/**
 * Reads the whole store, as stored, and keeps the events whose subject is one of the person's
 * contacts or leads: every context writes `customerId` into the events about a customer (orders,
 * activity, deals, segments), whichever stream they are in. Then opens only those. One pass over
 * the store per export: fine for a request a person makes now and then; an index of events by
 * customer would make it a lookup.
 */
@Injectable()
export class PersonalDataExporter {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SERVICE_INFRASTRUCTURE) private readonly infra: ServiceInfrastructure,
    private readonly person: PersonContactsReader,
    private readonly contacts: ContactsQueries,
  ) {}

  async export(contactId: string): Promise<PersonalDataExport> {
    const { survivor, group, leadIds, state } = await this.person.read(contactId);
    const own = state.contacts[contactId];
    if (!own || own.status !== 'active') throw new NotFoundError(`contact ${contactId} not found`);
    const subjects = new Set([...group, ...leadIds.map(leadSubject)]);
    const found: RecordedEvent[] = [];
    for (let from = 0n; ; ) {
      const page = await this.store.readAll({ fromPosition: from, maxCount: PAGE, raw: true });
      for (const event of page.events) if (subjects.has(storedSubjectOf(event))) found.push(event);
      if (page.isEnd || page.events.length === 0) break;
      from = page.nextPosition;
    }
    const protection = this.infra.personalData?.protection;
    if (!protection && found.some((e) => SEALED_FIELD in e.data)) throw new UnavailableError('sealed personal data cannot be opened without CLIENTELA_MASTER_KEY');
    const opened = protection ? await protection.open(found) : found;
    return {
      contactId,
      survivor,
      contacts: group,
      leadIds,
      erased: group.some((id) => { const c = state.contacts[id]; return c?.status === 'active' && c.erased; }),
      exportedAt: new Date().toISOString(),
      profile: await this.contacts.get(survivor).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      }),
      events: opened.map((e) => ({
        id: e.id,
        type: e.type,
        streamId: e.streamId,
        revision: e.revision,
        position: formatPosition(e.position),
        recordedAt: e.recordedAt instanceof Date ? e.recordedAt.toISOString() : String(e.recordedAt),
        data: e.data,
        metadata: e.metadata as unknown as Record<string, unknown>,
      })),
    };
  }
}
