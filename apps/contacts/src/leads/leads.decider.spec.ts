import { ConflictError, DomainRuleError, NotFoundError, type LeadEvent } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { conversionIdsOf } from './lead-conversion';
import { leadsDecider, type LeadCommand } from './leads.decider';

const given = deciderSpec(leadsDecider);
const leadId = '5b2e8f14-7c3d-4a9e-b1f0-2d6c8e4a7b13';
const campaignId = '8e1d2c3b-4a5f-4e6d-9c8b-7a6f5e4d3c2b';
const ownerId = '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01';
const now = '2026-12-01T10:00:00.000Z';
const { contactId, accountId } = conversionIdsOf(leadId);

const captured: LeadEvent = {
  type: 'LeadCaptured',
  data: { leadId, source: 'webinar', campaignId, acquisitionCost: { amount: '12.50', currency: 'EUR' }, givenName: 'Ada', email: 'ada@example.com', companyName: 'Acme', capturedAt: now },
};
const qualification = (from: string, to: string, extra: object = {}) => ({ type: 'LeadQualificationChanged', data: { leadId, from, to, ...extra, changedAt: now } }) as LeadEvent;
const working = qualification('new', 'working');
const qualified = qualification('working', 'qualified', { score: 80 });
const disqualified = qualification('working', 'disqualified', { reason: 'student' });
const converted: LeadEvent = {
  type: 'LeadConverted',
  data: { leadId, contactId, accountId, source: 'webinar', campaignId, acquisitionCost: { amount: '12.50', currency: 'EUR' }, score: 80, convertedAt: now },
};

const qualify = (status: 'working' | 'qualified' | 'disqualified', extra: { score?: number; reason?: string } = {}): LeadCommand => ({ type: 'QualifyLead', data: { leadId, now, status, ...extra } });
const convert = (extra: { ownerId?: string } = {}): LeadCommand => ({ type: 'ConvertLead', data: { leadId, now, contactId, accountId, ...extra } });
const change = (person: Extract<LeadCommand, { type: 'ChangeLead' }>['data']['person']): LeadCommand => ({ type: 'ChangeLead', data: { leadId, now, person } });

describe('leads decider', () => {
  describe('when there is no lead', () => {
    it('captures one with its source in lower case, its email normalised and its currency in upper case', () =>
      given([])
        .when({
          type: 'CaptureLead',
          data: { leadId, now, source: 'Webinar', campaignId, acquisitionCost: { amount: '12.50', currency: 'eur' }, person: { givenName: 'Ada', familyName: null, email: ' Ada@Example.COM ', companyName: 'Acme' } },
        })
        .then([captured]));

    it('captures one without campaign or cost', () =>
      given([])
        .when({ type: 'CaptureLead', data: { leadId, now, source: 'google-ads', person: { phone: '+4915112345678' } } })
        .then([{ type: 'LeadCaptured', data: { leadId, source: 'google-ads', phone: '+4915112345678', capturedAt: now } }]));

    it('refuses a lead with no name, email or phone', () =>
      given([]).when({ type: 'CaptureLead', data: { leadId, now, source: 'webinar', person: { companyName: 'Acme' } } }).thenThrows(DomainRuleError, /name, an email or a phone/));

    it('refuses to change, qualify or convert a lead that does not exist', () => {
      given([]).when(change({ givenName: 'B' })).thenThrows(NotFoundError);
      given([]).when(qualify('working')).thenThrows(NotFoundError);
      given([]).when(convert()).thenThrows(NotFoundError);
    });
  });

  describe('when the lead is new', () => {
    it('refuses to capture it again', () =>
      given([captured]).when({ type: 'CaptureLead', data: { leadId, now, source: 'webinar', person: { givenName: 'Ada' } } }).thenThrows(ConflictError));

    it('records only the person fields that changed, with null clearing one', () =>
      given([captured])
        .when(change({ givenName: 'Ada', familyName: 'Lovelace', email: 'ADA@example.com', companyName: null }))
        .then([{ type: 'LeadProfileChanged', data: { leadId, familyName: 'Lovelace', companyName: null, changedAt: now } }]));

    it('does nothing when nothing changes', () => given([captured]).when(change({ givenName: 'Ada' })).thenNothingHappens());

    it('refuses to remove the last way to tell who the lead is', () =>
      given([captured]).when(change({ givenName: null, email: null })).thenThrows(DomainRuleError, /name, an email or a phone/));

    it('is worked on, then qualified with a score', () => {
      given([captured]).when(qualify('working')).then([working]);
      given([captured, working]).when(qualify('qualified', { score: 80 })).then([qualified]);
    });

    it('is disqualified only with a reason', () => {
      given([captured, working]).when(qualify('disqualified')).thenThrows(DomainRuleError, /needs a reason/);
      given([captured, working]).when(qualify('disqualified', { reason: ' ' })).thenThrows(DomainRuleError, /needs a reason/);
      given([captured, working]).when(qualify('disqualified', { reason: 'student' })).then([disqualified]);
    });

    it('does nothing when the qualification is the same', () => {
      given([captured, working]).when(qualify('working')).thenNothingHappens();
      given([captured, working, qualified]).when(qualify('qualified', { score: 80 })).thenNothingHappens();
    });

    it('rescores a qualified lead', () =>
      given([captured, working, qualified]).when(qualify('qualified', { score: 95 })).then([qualification('qualified', 'qualified', { score: 95 })]));

    it('reopens a disqualified lead', () => given([captured, working, disqualified]).when(qualify('working')).then([qualification('disqualified', 'working')]));

    it('refuses to convert a lead that is not qualified', () => {
      given([captured]).when(convert()).thenThrows(DomainRuleError, /only a qualified lead converts/);
      given([captured, working]).when(convert()).thenThrows(DomainRuleError, /only a qualified lead converts/);
    });

    it('refuses to convert a disqualified lead', () => given([captured, working, disqualified]).when(convert()).thenThrows(DomainRuleError, /disqualified/));
  });

  describe('when the lead is qualified', () => {
    it('converts into a contact and an account, carrying what sales and analytics need', () => given([captured, working, qualified]).when(convert()).then([converted]));

    it('converts into a contact only when it named no company, with the owner given', () =>
      given([{ ...captured, data: { leadId, source: 'webinar', givenName: 'Ada', capturedAt: now } } as LeadEvent, working, qualified])
        .when(convert({ ownerId }))
        .then([{ type: 'LeadConverted', data: { leadId, contactId, ownerId, source: 'webinar', score: 80, convertedAt: now } }]));
  });

  describe('when the lead is converted', () => {
    const history = [captured, working, qualified, converted];

    it('does nothing when converted again', () => given(history).when(convert()).thenNothingHappens());

    it('refuses changes and qualifications: the contact is where it lives now', () => {
      given(history).when(change({ familyName: 'Lovelace' })).thenThrows(DomainRuleError, /converted/);
      given(history).when(qualify('disqualified', { reason: 'late' })).thenThrows(DomainRuleError, /converted/);
    });

    it('keeps the ids of its conversion in its state', () => {
      const state = history.reduce(leadsDecider.evolve, leadsDecider.initialState());
      expect(state).toMatchObject({ status: 'converted', conversion: { contactId, accountId, convertedAt: now } });
    });
  });

  describe('conversion ids', () => {
    it('are derived from the lead, the same on every retry and different per lead', () => {
      expect(conversionIdsOf(leadId)).toEqual({ contactId, accountId });
      expect(conversionIdsOf(leadId.toUpperCase())).toEqual({ contactId, accountId });
      expect(contactId).not.toBe(accountId);
      expect(conversionIdsOf(campaignId).contactId).not.toBe(contactId);
    });
  });
});
