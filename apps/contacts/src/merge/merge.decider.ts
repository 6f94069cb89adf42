import { DomainRuleError, NotFoundError, type ContactEvent, type Decider } from '@clientela/contracts';
import { evolve as evolveContact, initialState as noContact, type ContactState } from '../contacts/contacts.decider';

/**
 * Merge and unmerge involve two contacts, each its own stream: the state is both contacts, folded
 * from their own events (an event names its stream by `contactId`), and the events decided go to
 * the stream their `contactId` names, in one atomic append.
 */
export interface MergeState {
  contacts: Readonly<Record<string, ContactState>>;
}

export type MergeCommand =
  | { type: 'MergeContacts'; data: { survivorId: string; mergedId: string; now: string } }
  | { type: 'UnmergeContacts'; data: { survivorId: string; mergedId: string; now: string } };

type Active = Extract<ContactState, { status: 'active' }>;

export const initialState = (): MergeState => ({ contacts: {} });

export const evolve = (state: MergeState, event: ContactEvent): MergeState => {
  const id = event.data.contactId;
  return { contacts: { ...state.contacts, [id]: evolveContact(state.contacts[id] ?? noContact(), event) } };
};

const existing = (state: MergeState, contactId: string): Active => {
  const contact = state.contacts[contactId];
  if (!contact || contact.status !== 'active') throw new NotFoundError(`contact ${contactId} not found`);
  if (contact.erased) throw new DomainRuleError(`contact ${contactId} was erased`, 'contact_erased');
  return contact;
};

/** A survivor must be a contact of its own: merging into (or unmerging from) a merged one would hide it again. */
const ownContact = (state: MergeState, contactId: string, action: (mergedInto: string) => string): Active => {
  const contact = existing(state, contactId);
  if (contact.mergedInto !== null) {
    throw new DomainRuleError(`contact ${contactId} is itself merged into ${contact.mergedInto}: ${action(contact.mergedInto)}`, 'survivor_merged');
  }
  return contact;
};

const merge = (state: MergeState, { survivorId, mergedId, now }: Extract<MergeCommand, { type: 'MergeContacts' }>['data']): ContactEvent[] => {
  if (survivorId === mergedId) throw new DomainRuleError('a contact cannot be merged into itself', 'merge_into_itself');
  const merged = existing(state, mergedId);
  ownContact(state, survivorId, (into) => `merge into ${into} instead`);
  if (merged.mergedInto === survivorId) return []; // a retried merge changes nothing
  if (merged.mergedInto !== null) {
    throw new DomainRuleError(`contact ${mergedId} is already merged into ${merged.mergedInto}: unmerge it first`, 'contact_already_merged');
  }
  // Those merged into it before follow it: a chain A into B, then B into C, puts A on C.
  const members = [mergedId, ...merged.absorbed];
  return [
    {
      type: 'ContactMerged',
      data: {
        contactId: mergedId,
        customerId: mergedId,
        survivorId,
        members,
        identities: { emails: merged.emails, phones: merged.phones, externalIds: merged.identities.map((i) => ({ source: i.source, externalId: i.externalId })) },
        mergedAt: now,
      },
    },
    { type: 'ContactDuplicateAbsorbed', data: { contactId: survivorId, customerId: survivorId, mergedId, members, at: now } },
  ];
};

const unmerge = (state: MergeState, { survivorId, mergedId, now }: Extract<MergeCommand, { type: 'UnmergeContacts' }>['data']): ContactEvent[] => {
  const merged = existing(state, mergedId);
  ownContact(state, survivorId, (into) => `unmerge it from ${into} first`);
  // Also a second unmerge: a retried request is answered by its Idempotency-Key, not by the decider.
  if (merged.mergedInto === null) throw new DomainRuleError(`contact ${mergedId} is not merged`, 'contact_not_merged');
  if (merged.mergedInto !== survivorId) {
    throw new DomainRuleError(`contact ${mergedId} is merged into ${merged.mergedInto}, not ${survivorId}`, 'merged_elsewhere');
  }
  const members = [mergedId, ...merged.absorbed];
  return [
    { type: 'ContactUnmerged', data: { contactId: mergedId, customerId: mergedId, survivorId, members, unmergedAt: now } },
    { type: 'ContactDuplicateReleased', data: { contactId: survivorId, customerId: survivorId, mergedId, members, at: now } },
  ];
};

export const decide = (command: MergeCommand, state: MergeState): ContactEvent[] => {
  switch (command.type) {
    case 'MergeContacts':
      return merge(state, command.data);
    case 'UnmergeContacts':
      return unmerge(state, command.data);
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
};

export const mergeDecider: Decider<MergeState, MergeCommand, ContactEvent> = { initialState, evolve, decide };
