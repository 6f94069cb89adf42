import { DomainRuleError, NotFoundError, type ContactEvent } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { erasureDecider, type ErasureCommand } from './erasure.decider';

const given = deciderSpec(erasureDecider);
const now = '2026-12-02T07:00:00.000Z';
const [a, b, c, d] = ['0b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a11', '1b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a12', '2b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a13', '3b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a14'];
const lead = '4b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a15';
const ids = (id: string) => ({ contactId: id, customerId: id });

const registered = (id: string): ContactEvent => ({ type: 'ContactRegistered', data: { ...ids(id), lifecycleStage: 'customer', registeredAt: now } });
const noIdentities = { emails: [], phones: [], externalIds: [] };
const merged = (survivorId: string, mergedId: string, members: string[]): ContactEvent[] => [
  { type: 'ContactMerged', data: { ...ids(mergedId), survivorId, members, identities: noIdentities, mergedAt: now } },
  { type: 'ContactDuplicateAbsorbed', data: { ...ids(survivorId), mergedId, members, at: now } },
];
const unmerged = (survivorId: string, mergedId: string, members: string[]): ContactEvent[] => [
  { type: 'ContactUnmerged', data: { ...ids(mergedId), survivorId, members, unmergedAt: now } },
  { type: 'ContactDuplicateReleased', data: { ...ids(survivorId), mergedId, members, at: now } },
];
const erase = (contactId: string, leadIds: string[] = []): ErasureCommand => ({ type: 'EraseContact', data: { contactId, leadIds, now } });
const erased = (id: string, group: string[], leadIds: string[] = []): ContactEvent => ({ type: 'ContactErased', data: { ...ids(id), group, leadIds, erasedAt: now } });

describe('erasure decider', () => {
  describe('a contact of its own', () => {
    it('is erased, with the leads converted into it', () => given([registered(a)]).when(erase(a, [lead])).then([erased(a, [a], [lead])]));

    it('does not exist: 404', () => given([registered(a)]).when(erase(d)).thenThrows(NotFoundError));

    it('erased already: nothing more (a retried request is not an error)', () => given([registered(a), erased(a, [a])]).when(erase(a)).thenNothingHappens());
  });

  describe('a survivor of merges', () => {
    it('is erased with every contact merged into it, chains included', () =>
      given([registered(a), registered(b), registered(c), ...merged(b, c, [c]), ...merged(a, b, [b, c])])
        .when(erase(a))
        .then([erased(a, [a, b, c]), erased(b, [a, b, c]), erased(c, [a, b, c])]));

    it('is erased without a contact unmerged from it before', () =>
      given([registered(a), registered(b), ...merged(a, b, [b]), ...unmerged(a, b, [b])]).when(erase(a)).then([erased(a, [a])]));

    it('erases only the members not erased yet', () =>
      given([registered(a), registered(b), ...merged(a, b, [b]), erased(b, [a, b])]).when(erase(a)).then([erased(a, [a, b])]));
  });

  it('refuses a contact merged into another: the handler erases from the survivor', () =>
    given([registered(a), registered(b), ...merged(a, b, [b])]).when(erase(b)).thenThrows(DomainRuleError, 'merged into'));
});
