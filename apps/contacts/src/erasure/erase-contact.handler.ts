import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { nameBasedUuid, streamId, UnavailableError, type Position } from '@clientela/contracts';
import { IdempotencyConflictError, WrongExpectedRevisionError, type EventStore } from '@clientela/event-store';
import { EVENT_STORE, SERVICE_INFRASTRUCTURE, type ServiceInfrastructure, type WriteRequest } from '@clientela/service-kit';
import { erasureDecider } from './erasure.decider';
import { IngestTopicPurge } from './ingest-topic-purge';
import { leadSubject, PersonContactsReader } from './person-contacts';

export class EraseContactCommand {
  constructor(
    readonly contactId: string,
    readonly write: WriteRequest,
  ) {}
}

/** What an erasure answers, the same for every request about the same person. */
export interface ErasureOutcome {
  /** The contact named in the request. */
  id: string;
  /** The contacts erased as one person: the survivor first, then those merged into it. */
  erased: string[];
  leadIds: string[];
  /** The greatest position of the person's ContactErased events: X-Min-Position for the read models. */
  position: Position;
}

const ERASED_EVENT_NAMESPACE = '3f0c5b8e-9d1a-4c7e-8b2f-6a4d9e1c0b57';
/** One ContactErased per contact, ever: its id follows from the contact's. */
const erasedEventId = (contactId: string): string => nameBasedUuid(`contact-erased|${contactId}`, ERASED_EVENT_NAMESPACE);
const MAX_ATTEMPTS = 3;

/**
 * Erases a person: destroys the data keys of the survivor, of every contact merged into it and of
 * the leads converted into them (their sealed fields read as erased from then on, in every event,
 * copy and topic), then appends ContactErased to each of those contacts in one atomic append, so
 * every read model replaces their values. Keys first: a crash in between leaves the person
 * unreadable already, and the same request again appends what is missing.
 */
@CommandHandler(EraseContactCommand)
export class EraseContactHandler implements ICommandHandler<EraseContactCommand, ErasureOutcome> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SERVICE_INFRASTRUCTURE) private readonly infra: ServiceInfrastructure,
    private readonly person: PersonContactsReader,
    private readonly purge: IngestTopicPurge,
  ) {}

  async execute({ contactId, write }: EraseContactCommand): Promise<ErasureOutcome> {
    const keys = this.infra.personalData?.keys;
    if (!keys) throw new UnavailableError('personal data is stored in clear here (no CLIENTELA_MASTER_KEY): it cannot be erased by destroying keys');
    for (let attempt = 1; ; attempt++) {
      const { survivor, group, leadIds, streams, state } = await this.person.read(contactId);
      const decided = erasureDecider.decide({ type: 'EraseContact', data: { contactId: survivor, leadIds, now: new Date().toISOString() } }, state);
      await keys.destroy([...group, ...leadIds.map(leadSubject)]);
      try {
        if (decided.length > 0) {
          await this.store.appendToStreams(
            decided.map((event) => {
              const events = streams.get(event.data.contactId) ?? [];
              return {
                streamId: streamId('contact', event.data.contactId),
                expectedRevision: events[events.length - 1]?.revision ?? -1,
                events: [{ id: erasedEventId(event.data.contactId), type: event.type, data: event.data as unknown as Record<string, unknown>, metadata: write.metadata }],
              };
            }),
          );
        }
      } catch (error) {
        // Changed meanwhile, or erased by a request racing this one: decide again from what is stored.
        if (!(error instanceof WrongExpectedRevisionError || error instanceof IdempotencyConflictError) || attempt >= MAX_ATTEMPTS) throw error;
        continue;
      }
      await this.purge.purgeConsumed();
      const erasedEvents = (await Promise.all(group.map((id) => this.person.stream(id)))).flatMap((events) => events.filter((e) => e.type === 'ContactErased'));
      const recorded = erasedEvents.find((e) => e.data.contactId === survivor);
      return {
        id: contactId,
        erased: group,
        // The first erasure's leads: a lead converted later would be a new person's.
        leadIds: (recorded?.data.leadIds as string[] | undefined) ?? leadIds,
        position: erasedEvents.reduce<Position>((max, e) => (e.position > max ? e.position : max), 0n),
      };
    }
  }
}
