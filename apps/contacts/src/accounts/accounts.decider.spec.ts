import { ConflictError, DomainRuleError, NotFoundError, type AccountEvent } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { accountsDecider, normaliseDomain, type AccountCommand } from './accounts.decider';

const given = deciderSpec(accountsDecider);
const accountId = '2f0c7a3e-9b1d-4c6e-8a52-6d3e1f0b9c21';
const ownerId = '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01';
const now = '2026-12-01T10:00:00.000Z';

const registered: AccountEvent = { type: 'AccountRegistered', data: { accountId, name: 'Acme', domain: 'acme.example', size: '11-50', registeredAt: now } };
const archived: AccountEvent = { type: 'AccountArchived', data: { accountId, archivedAt: now } };
const change = (profile: Extract<AccountCommand, { type: 'ChangeAccount' }>['data']['profile']): AccountCommand => ({ type: 'ChangeAccount', data: { accountId, now, profile } });
const archive: AccountCommand = { type: 'ArchiveAccount', data: { accountId, now } };

describe('accounts decider', () => {
  describe('when there is no account', () => {
    it('registers one with its domain normalised and only the fields given', () =>
      given([])
        .when({ type: 'RegisterAccount', data: { accountId, now, profile: { name: 'Acme', domain: 'HTTPS://www.Acme.Example/about', industry: null, size: '11-50' } } })
        .then([registered]));

    it('registers one with an address and an owner', () =>
      given([])
        .when({ type: 'RegisterAccount', data: { accountId, now, profile: { name: 'Acme', address: { city: 'Berlin', country: 'DE' }, ownerId } } })
        .then([{ type: 'AccountRegistered', data: { accountId, name: 'Acme', address: { city: 'Berlin', country: 'DE' }, ownerId, registeredAt: now } }]));

    it('refuses an account without a name', () =>
      given([]).when({ type: 'RegisterAccount', data: { accountId, now, profile: { name: '  ' } } }).thenThrows(DomainRuleError, /needs a name/));

    it('refuses to change an account that does not exist', () => given([]).when(change({ name: 'B' })).thenThrows(NotFoundError));

    it('refuses to archive an account that does not exist', () => given([]).when(archive).thenThrows(NotFoundError));
  });

  describe('when the account is active', () => {
    it('refuses to register it again', () =>
      given([registered]).when({ type: 'RegisterAccount', data: { accountId, now, profile: { name: 'Acme' } } }).thenThrows(ConflictError));

    it('records only the fields that changed, with null clearing one', () =>
      given([registered])
        .when(change({ name: 'Acme', domain: 'www.acme.example', industry: 'Manufacturing', size: null, ownerId: undefined }))
        .then([{ type: 'AccountProfileChanged', data: { accountId, industry: 'Manufacturing', size: null, changedAt: now } }]));

    it('renames it and moves its domain', () =>
      given([registered])
        .when(change({ name: 'Acme Corp', domain: 'acme-corp.example' }))
        .then([{ type: 'AccountProfileChanged', data: { accountId, name: 'Acme Corp', domain: 'acme-corp.example', changedAt: now } }]));

    it('does nothing when nothing changes', () => given([registered]).when(change({ name: 'Acme', domain: 'Acme.example' })).thenNothingHappens());

    it('refuses to clear the name', () => {
      given([registered]).when(change({ name: null })).thenThrows(DomainRuleError, /cannot be cleared/);
      given([registered]).when(change({ name: ' ' })).thenThrows(DomainRuleError, /cannot be cleared/);
    });

    it('archives it, with the reason when there is one', () => {
      given([registered]).when(archive).then([archived]);
      given([registered])
        .when({ type: 'ArchiveAccount', data: { accountId, now, reason: 'merged into another' } })
        .then([{ type: 'AccountArchived', data: { accountId, reason: 'merged into another', archivedAt: now } }]);
    });
  });

  describe('when the account is archived', () => {
    it('refuses changes with a domain rule', () =>
      given([registered, archived]).when(change({ industry: 'Retail' })).thenThrows(DomainRuleError, /archived/));

    it('does nothing when archived again', () => given([registered, archived]).when(archive).thenNothingHappens());

    it('still refuses to be registered again', () =>
      given([registered, archived]).when({ type: 'RegisterAccount', data: { accountId, now, profile: { name: 'Acme' } } }).thenThrows(ConflictError));
  });

  describe('domains', () => {
    it.each([
      ['example.com', 'example.com'],
      ['  Example.COM ', 'example.com'],
      ['https://www.example.com/', 'example.com'],
      ['http://shop.example.co.uk:8080/path?q=1', 'shop.example.co.uk'],
      ['www.example.com.', 'example.com'],
      ['wwwexample.com', 'wwwexample.com'],
    ])('normalises %j to %j', (input, expected) => expect(normaliseDomain(input)).toBe(expected));
  });
});
