import { DomainRuleError, NotFoundError, type ContactEvent } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { contactsDecider } from '../contacts/contacts.decider';
import { mergeDecider, type MergeCommand } from './merge.decider';

const given = deciderSpec(mergeDecider);
const now = '2026-12-01T10:00:00.000Z';
const [a, b, c, d] = ['0b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a11', '1b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a12', '2b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a13', '3b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a14'];
const ids = (id: string) => ({ contactId: id, customerId: id });

const registered = (id: string): ContactEvent => ({ type: 'ContactRegistered', data: { ...ids(id), lifecycleStage: 'customer', registeredAt: now } });
const email = (id: string, value: string): ContactEvent => ({ type: 'ContactEmailAdded', data: { ...ids(id), email: value, primary: true } });
const linked = (id: string, source: string, externalId: string): ContactEvent => ({ type: 'ContactIdentityLinked', data: { ...ids(id), source, externalId } });
const mergeCmd = (survivorId: string, mergedId: string): MergeCommand => ({ type: 'MergeContacts', data: { survivorId, mergedId, now } });
const unmergeCmd = (survivorId: string, mergedId: string): MergeCommand => ({ type: 'UnmergeContacts', data: { survivorId, mergedId, now } });
const noIdentities: { emails: string[]; phones: string[]; externalIds: Array<{ source: string; externalId: string }> } = { emails: [], phones: [], externalIds: [] };
const merged = (survivorId: string, mergedId: string, members: string[], identities = noIdentities): ContactEvent[] => [
  { type: 'ContactMerged', data: { ...ids(mergedId), survivorId, members, identities, mergedAt: now } },
  { type: 'ContactDuplicateAbsorbed', data: { ...ids(survivorId), mergedId, members, at: now } },
];
const unmerged = (survivorId: string, mergedId: string, members: string[]): ContactEvent[] => [
  { type: 'ContactUnmerged', data: { ...ids(mergedId), survivorId, members, unmergedAt: now } },
  { type: 'ContactDuplicateReleased', data: { ...ids(survivorId), mergedId, members, at: now } },
];
const three = [registered(a), registered(b), registered(c)];

describe('merge decider', () => {
  describe('merging', () => {
    it('marks the merged contact merged, with its identities, and tells the survivor', () =>
      given([...three, email(b, 'bo@shop.test'), linked(b, 'shop', 'B1')])
        .when(mergeCmd(a, b))
        .then(merged(a, b, [b], { emails: ['bo@shop.test'], phones: [], externalIds: [{ source: 'shop', externalId: 'B1' }] })));

    it('refuses to merge a contact into itself', () => given(three).when(mergeCmd(a, a)).thenThrows(DomainRuleError, 'itself'));

    it('refuses a contact that does not exist, on either side', () => {
      given(three).when(mergeCmd(a, d)).thenThrows(NotFoundError);
      given(three).when(mergeCmd(d, a)).thenThrows(NotFoundError);
    });

    it('refuses to merge into a merged contact, naming the one to merge into', () =>
      given([...three, ...merged(c, b, [b])]).when(mergeCmd(b, a)).thenThrows(DomainRuleError, `merge into ${c}`));

    it('refuses to merge a contact already merged into another', () =>
      given([...three, ...merged(c, b, [b])]).when(mergeCmd(a, b)).thenThrows(DomainRuleError, 'already merged'));

    it('changes nothing when the merge was already made (a retry)', () => given([...three, ...merged(a, b, [b])]).when(mergeCmd(a, b)).thenNothingHappens());

    it('resolves chains: A into B, then B into C takes A along to C', () =>
      given([...three, ...merged(b, a, [a])]).when(mergeCmd(c, b)).then(merged(c, b, [b, a])));

    it('can merge again what was unmerged', () =>
      given([...three, ...merged(a, b, [b]), ...unmerged(a, b, [b])]).when(mergeCmd(c, b)).then(merged(c, b, [b])));
  });

  describe('unmerging', () => {
    it('gives the merged contact and those it brought back their own life', () =>
      given([...three, ...merged(b, a, [a]), ...merged(c, b, [b, a])]).when(unmergeCmd(c, b)).then(unmerged(c, b, [b, a])));

    it('unmerges only what was merged', () => given(three).when(unmergeCmd(a, b)).thenThrows(DomainRuleError, 'not merged'));

    it('refuses a contact merged into another one than the one named', () =>
      given([...three, ...merged(a, b, [b])]).when(unmergeCmd(c, b)).thenThrows(DomainRuleError, `merged into ${a}, not ${c}`));

    it('unmerges a chain from its end: A from B only once B is unmerged from C', () =>
      given([...three, ...merged(b, a, [a]), ...merged(c, b, [b, a])]).when(unmergeCmd(b, a)).thenThrows(DomainRuleError, `unmerge it from ${c} first`));

    it('refuses a second unmerge: the contact is its own again', () =>
      given([...three, ...merged(a, b, [b]), ...unmerged(a, b, [b])]).when(unmergeCmd(a, b)).thenThrows(DomainRuleError, 'not merged'));
  });

  it('a merged contact takes no other command until it is unmerged', () => {
    const state = [registered(b), { type: 'ContactMerged', data: { ...ids(b), survivorId: a, members: [b], identities: noIdentities, mergedAt: now } } as ContactEvent];
    deciderSpec(contactsDecider)(state)
      .when({ type: 'ChangeLifecycleStage', data: { contactId: b, now, stage: 'evangelist' } })
      .thenThrows(DomainRuleError, `merged into ${a}`);
  });
});
