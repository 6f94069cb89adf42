import { DomainRuleError, NotFoundError, type ContactEvent, type Decider } from '@clientela/contracts';
import { mergeDecider, type MergeState } from '../merge/merge.decider';

/**
 * Erasing a person: the contact named (a survivor, the handler having followed merges to it) and
 * every contact merged into it, since a merge says they are one person. Each gets `ContactErased`
 * in its own stream; those erased already get nothing (a second request changes nothing).
 */
export type ErasureCommand = { type: 'EraseContact'; data: { contactId: string; leadIds: string[]; now: string } };

/** The contacts erased with `contactId`: itself first, then those merged into it. */
export const erasureGroupOf = (state: MergeState, contactId: string): string[] => {
  const contact = state.contacts[contactId];
  return contact?.status === 'active' ? [contactId, ...contact.absorbed.filter((id) => id !== contactId)] : [];
};

const decide = (command: ErasureCommand, state: MergeState): ContactEvent[] => {
  const { contactId, leadIds, now } = command.data;
  const contact = state.contacts[contactId];
  if (!contact || contact.status !== 'active') throw new NotFoundError(`contact ${contactId} not found`);
  // The handler erases from the survivor; a merge seen only now means its read was stale.
  if (contact.mergedInto !== null) throw new DomainRuleError(`contact ${contactId} is merged into ${contact.mergedInto}: the person is erased from there`, 'survivor_merged');
  const group = erasureGroupOf(state, contactId);
  return group
    .filter((id) => {
      const member = state.contacts[id];
      return member?.status === 'active' && !member.erased;
    })
    .map((id): ContactEvent => ({ type: 'ContactErased', data: { contactId: id, customerId: id, group, leadIds, erasedAt: now } }));
};

export const erasureDecider: Decider<MergeState, ErasureCommand, ContactEvent> = { initialState: mergeDecider.initialState, evolve: mergeDecider.evolve, decide };
