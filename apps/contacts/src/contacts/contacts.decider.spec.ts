import { ConflictError, DomainRuleError, NotFoundError, ValidationError, type ContactEvent } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { contactsDecider, isStageChangeAllowed, type ContactCommand } from './contacts.decider';

const given = deciderSpec(contactsDecider);
const contactId = '0b6f8d1e-4a4e-4c2b-9a51-1f1f0d9c7a11';
const ids = { contactId, customerId: contactId };
const now = '2026-12-01T10:00:00.000Z';

const registered: ContactEvent = { type: 'ContactRegistered', data: { ...ids, givenName: 'Ada', lifecycleStage: 'lead', registeredAt: now } };
const emailAdded = (email: string, primary: boolean): ContactEvent => ({ type: 'ContactEmailAdded', data: { ...ids, email, primary } });
const phoneAdded = (phone: string, primary: boolean): ContactEvent => ({ type: 'ContactPhoneAdded', data: { ...ids, phone, primary } });
const stage = (from: string, to: string) => ({ type: 'ContactLifecycleStageChanged', data: { ...ids, from, to, changedAt: now } }) as ContactEvent;
const update = (data: Partial<Extract<ContactCommand, { type: 'UpdateContact' }>['data']>): ContactCommand => ({
  type: 'UpdateContact',
  data: { contactId, now, profile: {}, ...data },
});
const changeStage = (to: string): ContactCommand => ({ type: 'ChangeLifecycleStage', data: { contactId, now, stage: to as never } });
const emailMarketing = { channel: 'email', purpose: 'marketing', source: 'signup-form' } as const;

describe('contacts decider', () => {
  describe('when there is no contact', () => {
    it('registers one with its emails normalised, the first primary, and its phones, tags and identities', () =>
      given([]).when({
        type: 'RegisterContact',
        data: {
          contactId,
          now,
          profile: { givenName: 'Ada', familyName: null },
          emails: [' Ada@Example.COM ', 'ada@example.com', 'ada@work.example'],
          phones: ['+4915112345678'],
          tags: ['vip', 'vip'],
          identities: [{ source: 'shop', externalId: 'c-1' }],
          lifecycleStage: 'lead',
        },
      }).then([
        registered,
        emailAdded('ada@example.com', true),
        emailAdded('ada@work.example', false),
        phoneAdded('+4915112345678', true),
        { type: 'ContactTagged', data: { ...ids, tag: 'vip' } },
        { type: 'ContactIdentityLinked', data: { ...ids, source: 'shop', externalId: 'c-1' } },
      ]));

    it('starts a contact as a subscriber unless told otherwise', () =>
      given([]).when({ type: 'RegisterContact', data: { contactId, now, profile: {}, emails: ['a@b.example'] } }).then([
        { type: 'ContactRegistered', data: { ...ids, lifecycleStage: 'subscriber', registeredAt: now } },
        emailAdded('a@b.example', true),
      ]));

    it('records consents given at registration', () =>
      given([]).when({ type: 'RegisterContact', data: { contactId, now, profile: {}, emails: ['a@b.example'], consents: [emailMarketing] } }).then([
        { type: 'ContactRegistered', data: { ...ids, lifecycleStage: 'subscriber', registeredAt: now } },
        emailAdded('a@b.example', true),
        { type: 'ContactConsentGiven', data: { ...ids, ...emailMarketing, at: now } },
      ]));

    it('refuses a contact with no name, email or phone', () =>
      given([]).when({ type: 'RegisterContact', data: { contactId, now, profile: { language: 'en' } } }).thenThrows(DomainRuleError, /name, an email or a phone/));

    it('refuses two identities at one source', () =>
      given([])
        .when({ type: 'RegisterContact', data: { contactId, now, profile: { givenName: 'A' }, identities: [{ source: 's', externalId: '1' }, { source: 's', externalId: '2' }] } })
        .thenThrows(DomainRuleError, /two identities/));

    it('refuses consent on a channel the contact cannot be reached on', () =>
      given([]).when({ type: 'RegisterContact', data: { contactId, now, profile: { givenName: 'A' }, consents: [emailMarketing] } }).thenThrows(DomainRuleError, /needs the contact to have an email/));

    it('refuses to change a contact that does not exist', () => given([]).when(update({ profile: { givenName: 'B' } })).thenThrows(NotFoundError));
  });

  describe('when the contact exists', () => {
    const history = [registered, emailAdded('ada@example.com', true), phoneAdded('+4915112345678', true)];

    it('refuses to register it again', () =>
      given(history).when({ type: 'RegisterContact', data: { contactId, now, profile: { givenName: 'Ada' } } }).thenThrows(ConflictError));

    it('records only the profile fields that changed, with null clearing one', () =>
      given([...history, { type: 'ContactProfileChanged', data: { ...ids, language: 'en', changedAt: now } }])
        .when(update({ profile: { givenName: 'Ada', familyName: 'Lovelace', language: null, ownerId: null } }))
        .then([{ type: 'ContactProfileChanged', data: { ...ids, familyName: 'Lovelace', language: null, changedAt: now } }]));

    it('does nothing when nothing changes', () => given(history).when(update({ profile: { givenName: 'Ada' }, emails: ['ADA@example.com'], tags: [] })).thenNothingHappens());

    it('replaces the email list: removals first, then additions', () =>
      given(history).when(update({ emails: ['ada@example.com', 'new@example.com'] })).then([emailAdded('new@example.com', false)]));

    it('makes another email primary by re-adding it first', () =>
      given([...history, emailAdded('b@example.com', false)])
        .when(update({ emails: ['b@example.com', 'ada@example.com'] }))
        .then([{ type: 'ContactEmailRemoved', data: { ...ids, email: 'b@example.com' } }, emailAdded('b@example.com', true)]));

    it('tags and untags', () =>
      given([...history, { type: 'ContactTagged', data: { ...ids, tag: 'old' } }])
        .when(update({ tags: ['new'] }))
        .then([
          { type: 'ContactUntagged', data: { ...ids, tag: 'old' } },
          { type: 'ContactTagged', data: { ...ids, tag: 'new' } },
        ]));

    it('refuses to remove the last way to tell who the contact is', () =>
      given([{ type: 'ContactRegistered', data: { ...ids, lifecycleStage: 'lead', registeredAt: now } }, emailAdded('a@b.example', true)])
        .when(update({ emails: [] }))
        .thenThrows(DomainRuleError, /name, an email or a phone/));

    it('links an identity once, and refuses a second one at the same source', () => {
      given(history).when({ type: 'LinkIdentity', data: { contactId, identity: { source: 'shop', externalId: '1' } } }).then([
        { type: 'ContactIdentityLinked', data: { ...ids, source: 'shop', externalId: '1' } },
      ]);
      const linked: ContactEvent = { type: 'ContactIdentityLinked', data: { ...ids, source: 'shop', externalId: '1' } };
      given([...history, linked]).when({ type: 'LinkIdentity', data: { contactId, identity: { source: 'shop', externalId: '1' } } }).thenNothingHappens();
      given([...history, linked]).when({ type: 'LinkIdentity', data: { contactId, identity: { source: 'shop', externalId: '2' } } }).thenThrows(ConflictError);
      given([...history, linked]).when({ type: 'UnlinkIdentity', data: { contactId, identity: { source: 'shop', externalId: '1' } } }).then([
        { type: 'ContactIdentityUnlinked', data: { ...ids, source: 'shop', externalId: '1' } },
      ]);
      given(history).when({ type: 'UnlinkIdentity', data: { contactId, identity: { source: 'shop', externalId: '1' } } }).thenNothingHappens();
    });
  });

  describe('when the contact was erased', () => {
    const erased: ContactEvent = { type: 'ContactErased', data: { ...ids, group: [contactId], leadIds: [], erasedAt: now } };
    it('takes no command any more, personal or not', () => {
      given([registered, erased]).when(update({ profile: { givenName: 'Ada' } })).thenThrows(DomainRuleError, 'erased');
      given([registered, erased]).when(changeStage('customer')).thenThrows(DomainRuleError, 'erased');
    });
  });

  describe('lifecycle stage', () => {
    it('moves forwards and keeps where it came from', () => given([registered]).when(changeStage('customer')).then([stage('lead', 'customer')]));
    it('does nothing when the stage is the same', () => given([registered]).when(changeStage('lead')).thenNothingHappens());
    it('refuses to move backwards', () => given([registered, stage('lead', 'sql')]).when(changeStage('mql')).thenThrows(DomainRuleError, /from sql to mql/));
    it('churns only a customer', () => {
      given([registered]).when(changeStage('churned')).thenThrows(DomainRuleError);
      given([registered, stage('lead', 'customer')]).when(changeStage('churned')).then([stage('customer', 'churned')]);
    });
    it('wins a churned customer back only as a customer', () => {
      const churned = [registered, stage('lead', 'customer'), stage('customer', 'churned')];
      given(churned).when(changeStage('customer')).then([stage('churned', 'customer')]);
      given(churned).when(changeStage('evangelist')).thenThrows(DomainRuleError);
    });
    it('allows exactly the documented moves', () => {
      expect(isStageChangeAllowed('subscriber', 'evangelist')).toBe(true);
      expect(isStageChangeAllowed('evangelist', 'customer')).toBe(false);
      expect(isStageChangeAllowed('evangelist', 'churned')).toBe(true);
      expect(isStageChangeAllowed('opportunity', 'churned')).toBe(false);
    });
  });

  describe('custom fields', () => {
    const definitions = {
      tier: { key: 'tier', label: 'Tier', type: 'enum' as const, options: ['gold', 'silver'], retired: false },
      score: { key: 'score', label: 'Score', type: 'number' as const, retired: false },
    };
    const values = (v: Record<string, unknown>) => ({ values: v, definitions });
    const set = (v: Record<string, string | number | boolean | null>): ContactEvent => ({ type: 'ContactCustomFieldsChanged', data: { ...ids, values: v } });
    it('are set at registration', () =>
      given([]).when({ type: 'RegisterContact', data: { contactId, now, profile: { givenName: 'Ada' }, lifecycleStage: 'lead', customFields: values({ tier: 'gold' }) } }).then([registered, set({ tier: 'gold' })]));
    it('change only where the value differs, null clearing', () =>
      given([registered, set({ tier: 'gold', score: 3 })]).when(update({ customFields: values({ tier: 'gold', score: null }) })).then([set({ score: null })]));
    it('do nothing when nothing differs, including clearing what is not set', () =>
      given([registered, set({ tier: 'gold' })]).when(update({ customFields: values({ tier: 'gold', score: null }) })).thenNothingHappens());
    it('refuse values their definitions do not allow', () =>
      given([registered]).when(update({ customFields: values({ tier: 'bronze' }) })).thenThrows(ValidationError, /customFields.tier/));
  });

  describe('consent', () => {
    const history = [registered, emailAdded('ada@example.com', true)];
    const given1: ContactEvent = { type: 'ContactConsentGiven', data: { ...ids, ...emailMarketing, at: now } };
    it('is given once', () => {
      given(history).when({ type: 'GiveConsent', data: { contactId, now, consent: emailMarketing } }).then([given1]);
      given([...history, given1]).when({ type: 'GiveConsent', data: { contactId, now, consent: emailMarketing } }).thenNothingHappens();
    });
    it('needs a phone for SMS', () =>
      given(history).when({ type: 'GiveConsent', data: { contactId, now, consent: { channel: 'sms', purpose: 'marketing', source: 'x' } } }).thenThrows(DomainRuleError));
    it('is withdrawn only when given', () => {
      given(history).when({ type: 'WithdrawConsent', data: { contactId, now, consent: emailMarketing } }).thenNothingHappens();
      given([...history, given1]).when({ type: 'WithdrawConsent', data: { contactId, now, consent: { ...emailMarketing, source: 'preferences' } } }).then([
        { type: 'ContactConsentWithdrawn', data: { ...ids, ...emailMarketing, source: 'preferences', at: now } },
      ]);
    });
    it('unsubscribe withdraws every consent on the channel', () => {
      const profiling: ContactEvent = { type: 'ContactConsentGiven', data: { ...ids, channel: 'email', purpose: 'profiling', source: 'x', at: now } };
      given([...history, given1, profiling]).when({ type: 'Unsubscribe', data: { contactId, now, channel: 'email', source: 'unsubscribe-link' } }).then([
        { type: 'ContactConsentWithdrawn', data: { ...ids, channel: 'email', purpose: 'marketing', source: 'unsubscribe-link', at: now } },
        { type: 'ContactConsentWithdrawn', data: { ...ids, channel: 'email', purpose: 'profiling', source: 'unsubscribe-link', at: now } },
      ]);
      given(history).when({ type: 'Unsubscribe', data: { contactId, now, source: 'link' } }).thenNothingHappens();
    });
  });
});
