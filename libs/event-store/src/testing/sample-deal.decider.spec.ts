import { ConflictError, DomainRuleError } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { dealDecider, type DealEvent } from './sample-deal.decider';

const given = deciderSpec(dealDecider);
const opened: DealEvent = { type: 'DealOpened', data: { dealId: 'd1', amount: 100 } };
const now = '2026-01-01T00:00:00.000Z';

describe('deal decider (the sample the repository tests use)', () => {
  describe('when new', () => {
    it('opens', () => given([]).when({ type: 'OpenDeal', data: { dealId: 'd1', amount: 100 } }).then([opened]));
    it('refuses a win', () => given([]).when({ type: 'WinDeal', data: { now } }).thenThrows(DomainRuleError, /not open/));
  });
  describe('when open', () => {
    it('refuses to open again', () =>
      given([opened]).when({ type: 'OpenDeal', data: { dealId: 'd1', amount: 1 } }).thenThrows(ConflictError));
    it('wins', () => given([opened]).when({ type: 'WinDeal', data: { now } }).then([{ type: 'DealWon', data: { wonAt: now } }]));
  });
  describe('when won', () => {
    const won: DealEvent = { type: 'DealWon', data: { wonAt: now } };
    it('accepts a second win and changes nothing', () => given([opened, won]).when({ type: 'WinDeal', data: { now } }).thenNothingHappens());
    it('refuses a raise', () => given([opened, won]).when({ type: 'RaiseAmount', data: { by: 5 } }).thenThrows(DomainRuleError));
  });
});
