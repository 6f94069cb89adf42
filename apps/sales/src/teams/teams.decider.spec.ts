import { ConflictError, DomainRuleError, NotFoundError, type SalesRepEvent } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { salesRepsDecider, salesTeamsDecider } from './teams.decider';

const teamId = '3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b';
const repId = '8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e';
const now = '2026-12-01T10:00:00.000Z';
const registered: SalesRepEvent = { type: 'SalesRepRegistered', data: { repId, name: 'Rita', teamId, registeredAt: now } };
const quota: SalesRepEvent = { type: 'SalesQuotaSet', data: { repId, period: '2027-Q1', amount: '50000.00', currency: 'EUR', setAt: now } };

describe('sales teams decider', () => {
  const given = deciderSpec(salesTeamsDecider);
  it('creates a team', () =>
    given([]).when({ type: 'CreateSalesTeam', data: { teamId, now, name: 'North' } }).then([{ type: 'SalesTeamCreated', data: { teamId, name: 'North', createdAt: now } }]));
  it('refuses to create it twice', () =>
    given([{ type: 'SalesTeamCreated', data: { teamId, name: 'North', createdAt: now } }]).when({ type: 'CreateSalesTeam', data: { teamId, now, name: 'N' } }).thenThrows(ConflictError));
  it('renames it, and does nothing for the same name', () => {
    const created = { type: 'SalesTeamCreated', data: { teamId, name: 'North', createdAt: now } } as const;
    given([created]).when({ type: 'RenameSalesTeam', data: { teamId, now, name: 'North-East' } }).then([{ type: 'SalesTeamRenamed', data: { teamId, name: 'North-East', renamedAt: now } }]);
    given([created]).when({ type: 'RenameSalesTeam', data: { teamId, now, name: 'North' } }).thenNothingHappens();
  });
  it('refuses to rename a team that does not exist, or to name one blank', () => {
    given([]).when({ type: 'RenameSalesTeam', data: { teamId, now, name: 'X' } }).thenThrows(NotFoundError);
    given([]).when({ type: 'CreateSalesTeam', data: { teamId, now, name: ' ' } }).thenThrows(DomainRuleError, /needs a name/);
    given([{ type: 'SalesTeamCreated', data: { teamId, name: 'North', createdAt: now } }]).when({ type: 'RenameSalesTeam', data: { teamId, now, name: '\t' } }).thenThrows(DomainRuleError, /needs a name/);
  });
});

describe('sales reps decider', () => {
  const given = deciderSpec(salesRepsDecider);
  describe('when there is no rep', () => {
    it('registers one in a team that exists', () =>
      given([]).when({ type: 'RegisterSalesRep', data: { repId, now, name: 'Rita', teamId, teamExists: true } }).then([registered]));
    it('refuses a team that does not exist', () =>
      given([]).when({ type: 'RegisterSalesRep', data: { repId, now, name: 'Rita', teamId, teamExists: false } }).thenThrows(DomainRuleError, /does not exist/));
    it('refuses a rep without a name', () =>
      given([]).when({ type: 'RegisterSalesRep', data: { repId, now, name: ' ', teamExists: false } }).thenThrows(DomainRuleError, /needs a name/));
    it('refuses to change a rep that does not exist', () =>
      given([]).when({ type: 'ChangeSalesRep', data: { repId, now, name: 'X', teamExists: false } }).thenThrows(NotFoundError));
    it('refuses a quota for a rep that does not exist', () =>
      given([]).when({ type: 'SetSalesQuota', data: { repId, now, period: '2027-Q1', amount: '1', currency: 'EUR' } }).thenThrows(NotFoundError));
  });
  describe('when the rep exists', () => {
    it('sets a quota for a period, exactly', () =>
      given([registered]).when({ type: 'SetSalesQuota', data: { repId, now, period: '2027-Q1', amount: '50000', currency: 'EUR' } }).then([quota]));
    it('does nothing when the quota is the same', () =>
      given([registered, quota]).when({ type: 'SetSalesQuota', data: { repId, now, period: '2027-Q1', amount: '50000.0', currency: 'EUR' } }).thenNothingHappens());
    it('refuses a negative quota', () =>
      given([registered]).when({ type: 'SetSalesQuota', data: { repId, now, period: '2027-Q1', amount: '-1', currency: 'EUR' } }).thenThrows(DomainRuleError, /cannot be negative/));
    it('moves the rep out of its team with null', () =>
      given([registered]).when({ type: 'ChangeSalesRep', data: { repId, now, teamId: null, teamExists: false } }).then([{ type: 'SalesRepChanged', data: { repId, teamId: null, changedAt: now } }]));
    it('changes only what changed, and nothing when nothing did', () => {
      given([registered]).when({ type: 'ChangeSalesRep', data: { repId, now, name: 'Rita', email: 'rita@example.com', teamId, teamExists: true } })
        .then([{ type: 'SalesRepChanged', data: { repId, email: 'rita@example.com', changedAt: now } }]);
      given([registered]).when({ type: 'ChangeSalesRep', data: { repId, now, name: 'Rita', teamId, teamExists: true } }).thenNothingHappens();
    });
    it('refuses a move to a team that does not exist, and a blank name', () => {
      given([registered]).when({ type: 'ChangeSalesRep', data: { repId, now, teamId: '0e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b', teamExists: false } }).thenThrows(DomainRuleError, /does not exist/);
      given([registered]).when({ type: 'ChangeSalesRep', data: { repId, now, name: '', teamExists: false } }).thenThrows(DomainRuleError, /needs a name/);
    });
    it('replaces the quota of a period, also in another currency', () =>
      given([registered, quota]).when({ type: 'SetSalesQuota', data: { repId, now, period: '2027-Q1', amount: '50000', currency: 'USD' } })
        .then([{ type: 'SalesQuotaSet', data: { repId, period: '2027-Q1', amount: '50000.00', currency: 'USD', setAt: now } }]));
    it('refuses a quota past 12 integer digits', () =>
      given([registered]).when({ type: 'SetSalesQuota', data: { repId, now, period: '2027-Q1', amount: '1000000000000', currency: 'EUR' } }).thenThrows(DomainRuleError, /larger than/));
    it('refuses to register it twice', () =>
      given([registered]).when({ type: 'RegisterSalesRep', data: { repId, now, name: 'R', teamExists: false } }).thenThrows(ConflictError));
  });
});
