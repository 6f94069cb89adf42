import { ConflictError, DomainRuleError, NotFoundError, type DealEvent } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { dealsDecider, orderIdOfWin, type DealCommand, type PipelineSnapshot } from './deals.decider';

const given = deciderSpec(dealsDecider);
const dealId = '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';
const customerId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const pipelineId = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const otherPipelineId = '0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const opened = '2026-12-01T10:00:00.000Z';
const later = '2026-12-03T10:00:30.000Z'; // two days and 30 s on
const pipeline: PipelineSnapshot = {
  pipelineId,
  stages: [
    { stageId: 'qualify', name: 'Qualify', probability: 10 },
    { stageId: 'proposal', name: 'Proposal', probability: 50 },
    { stageId: 'negotiate', name: 'Negotiate', probability: 80 },
  ],
};

const openDeal = (data: Partial<Extract<DealCommand, { type: 'OpenDeal' }>['data']> = {}): DealCommand => ({
  type: 'OpenDeal',
  data: { dealId, customerId, now: opened, pipelineId, pipeline, name: 'Fleet renewal', currency: 'EUR', amount: '1200.00', ...data },
});
const dealOpened: DealEvent = {
  type: 'DealOpened',
  data: { dealId, customerId, pipelineId, stageId: 'qualify', probability: 10, name: 'Fleet renewal', amount: '1200.00', currency: 'EUR', lines: [], openedAt: opened },
};
const withLines: DealEvent = {
  type: 'DealOpened',
  data: {
    ...dealOpened.data,
    amount: '25.50',
    lines: [{ productId: 'sku-1', quantity: 3, unitPrice: '9.50', discount: '3.00', total: '25.50' }],
  } as Extract<DealEvent, { type: 'DealOpened' }>['data'],
};
const moved: DealEvent = {
  type: 'DealStageMoved',
  data: { dealId, customerId, pipelineId, from: 'qualify', to: 'proposal', probability: 50, secondsInStage: 172_830, movedAt: later },
};
const won: DealEvent = {
  type: 'DealWon',
  data: { dealId, customerId, stageId: 'qualify', amount: '1200.00', currency: 'EUR', orderId: orderIdOfWin(dealId, 0), secondsInStage: 172_830, wonAt: later },
};
const lost: DealEvent = { type: 'DealLost', data: { dealId, customerId, stageId: 'qualify', reason: 'went with a competitor', secondsInStage: 172_830, lostAt: later } };
const move = (stageId: string, p: PipelineSnapshot = pipeline): DealCommand => ({ type: 'MoveDealStage', data: { dealId, now: later, stageId, pipeline: p } });
const change = (data: Omit<Extract<DealCommand, { type: 'ChangeDeal' }>['data'], 'dealId' | 'now'>): DealCommand => ({ type: 'ChangeDeal', data: { dealId, now: later, ...data } });
const win: DealCommand = { type: 'WinDeal', data: { dealId, now: later } };
const lose = (reason = 'went with a competitor'): DealCommand => ({ type: 'LoseDeal', data: { dealId, now: later, reason } });
const reopen: DealCommand = { type: 'ReopenDeal', data: { dealId, now: later, pipeline } };

describe('deals decider', () => {
  describe('when there is no deal', () => {
    it('opens one in the first stage of its pipeline, with that stage\'s probability', () => given([]).when(openDeal()).then([dealOpened]));

    it('opens one in a stage of its pipeline', () =>
      given([]).when(openDeal({ stageId: 'negotiate' })).then([{ ...dealOpened, data: { ...dealOpened.data, stageId: 'negotiate', probability: 80 } } as DealEvent]));

    it('values a deal with lines at their exact total (quantity x unit price - discount)', () =>
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'sku-1', quantity: 3, unitPrice: '9.5', discount: '3' }] })).then([withLines]));

    it('adds line totals without float error', () =>
      given([])
        .when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: 1, unitPrice: '0.1' }, { productId: 'b', quantity: 1, unitPrice: '0.2' }] }))
        .then([
          {
            type: 'DealOpened',
            data: {
              ...dealOpened.data,
              amount: '0.30',
              lines: [
                { productId: 'a', quantity: 1, unitPrice: '0.10', discount: '0.00', total: '0.10' },
                { productId: 'b', quantity: 1, unitPrice: '0.20', discount: '0.00', total: '0.20' },
              ],
            },
          } as DealEvent,
        ]));

    it('refuses a stage that is not in the pipeline', () => given([]).when(openDeal({ stageId: 'closing' })).thenThrows(DomainRuleError, /not a stage of pipeline/));
    it('refuses a pipeline that does not exist', () => given([]).when(openDeal({ pipeline: null })).thenThrows(DomainRuleError, /does not exist/));
    it('refuses a negative amount', () => given([]).when(openDeal({ amount: '-1.00' })).thenThrows(DomainRuleError, /cannot be negative/));
    it('refuses a negative unit price', () =>
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: 1, unitPrice: '-2' }] })).thenThrows(DomainRuleError, /cannot be negative/));
    it('refuses a negative or zero quantity', () => {
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: -1, unitPrice: '2' }] })).thenThrows(DomainRuleError, /quantity/);
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: 0, unitPrice: '2' }] })).thenThrows(DomainRuleError, /quantity/);
    });
    it('refuses a discount larger than its line', () =>
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: 2, unitPrice: '2', discount: '4.01' }] })).thenThrows(DomainRuleError, /discount/));
    it('refuses a line in another currency: currencies do not mix in one deal', () =>
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: 1, unitPrice: '2', currency: 'USD' }] })).thenThrows(DomainRuleError, /currencies do not mix/));
    it('refuses an amount that is not its lines\' total', () =>
      given([]).when(openDeal({ amount: '30.00', lines: [{ productId: 'a', quantity: 1, unitPrice: '2' }] })).thenThrows(DomainRuleError, /not the lines' total/));
    it('refuses a deal without a name', () => given([]).when(openDeal({ name: ' ' })).thenThrows(DomainRuleError, /needs a name/));
    it('refuses a negative discount', () =>
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: 1, unitPrice: '2', discount: '-0.01' }] })).thenThrows(DomainRuleError, /discount cannot be negative/));
    it('refuses a quantity that is not whole', () =>
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: 1.5, unitPrice: '2' }] })).thenThrows(DomainRuleError, /whole number/));
    it('refuses an amount past 12 integer digits, given or as a line total', () => {
      given([]).when(openDeal({ amount: '1000000000000' })).thenThrows(DomainRuleError, /larger than/);
      given([]).when(openDeal({ amount: undefined, lines: [{ productId: 'a', quantity: 2, unitPrice: '999999999999' }] })).thenThrows(DomainRuleError, /larger than/);
    });
    it('refuses a stage of another pipeline than the deal\'s', () =>
      given([]).when(openDeal({ pipeline: { ...pipeline!, pipelineId: otherPipelineId } })).thenThrows(DomainRuleError, /does not exist/));
    it('refuses a mistyped amount', () => given([]).when(openDeal({ amount: '12,50' })).thenThrows(DomainRuleError, /decimal string/));
    it('refuses to move, win, lose or change a deal that does not exist', () => {
      for (const command of [move('proposal'), win, lose(), reopen, change({ name: 'x' })]) given([]).when(command).thenThrows(NotFoundError);
    });
  });

  describe('when the deal is open', () => {
    it('refuses to open it again', () => given([dealOpened]).when(openDeal()).thenThrows(ConflictError));

    it('moves it to another stage with that stage\'s probability and the time it stood in the last', () => given([dealOpened]).when(move('proposal')).then([moved]));
    it('refuses a stage of another pipeline', () => given([dealOpened]).when(move('proposal', { ...pipeline!, pipelineId: otherPipelineId })).thenThrows(DomainRuleError, /does not exist/));
    it('refuses a stage its pipeline does not have', () => given([dealOpened]).when(move('closing')).thenThrows(DomainRuleError, /not a stage of pipeline/));
    it('does nothing when moved to the stage it is in', () => given([dealOpened]).when(move('qualify')).thenNothingHappens());

    it('changes only what changed, null clearing a field', () =>
      given([dealOpened])
        .when(change({ name: 'Fleet renewal', amount: '1500', expectedCloseDate: '2027-01-31', ownerId: null }))
        .then([{ type: 'DealChanged', data: { dealId, customerId, amount: '1500.00', expectedCloseDate: '2027-01-31', changedAt: later } }]));
    it('changes the currency of a deal without lines', () =>
      given([dealOpened]).when(change({ currency: 'USD' })).then([{ type: 'DealChanged', data: { dealId, customerId, currency: 'USD', changedAt: later } }]));
    it('refuses to change the currency under lines in the old one', () => given([withLines]).when(change({ currency: 'USD' })).thenThrows(DomainRuleError, /give new lines/));
    it('changes currency and lines together, the amount following the lines', () =>
      given([withLines])
        .when(change({ currency: 'USD', lines: [{ productId: 'sku-2', quantity: 2, unitPrice: '10', currency: 'USD' }] }))
        .then([
          {
            type: 'DealChanged',
            data: { dealId, customerId, amount: '20.00', currency: 'USD', lines: [{ productId: 'sku-2', quantity: 2, unitPrice: '10.00', discount: '0.00', total: '20.00' }], changedAt: later },
          },
        ]));
    it('refuses an amount that differs from its lines', () => given([withLines]).when(change({ amount: '99' })).thenThrows(DomainRuleError, /not the lines' total/));
    it('refuses a negative amount', () => given([dealOpened]).when(change({ amount: '-0.01' })).thenThrows(DomainRuleError, /cannot be negative/));
    it('refuses a blank name', () => given([dealOpened]).when(change({ name: '  ' })).thenThrows(DomainRuleError, /needs a name/));
    it('refuses new lines in another currency than the deal\'s', () =>
      given([withLines]).when(change({ lines: [{ productId: 'a', quantity: 1, unitPrice: '2', currency: 'USD' }] })).thenThrows(DomainRuleError, /currencies do not mix/));
    it('refuses new lines with a negative unit price or a quantity below 1', () => {
      given([withLines]).when(change({ lines: [{ productId: 'a', quantity: 1, unitPrice: '-2' }] })).thenThrows(DomainRuleError, /cannot be negative/);
      given([withLines]).when(change({ lines: [{ productId: 'a', quantity: 0, unitPrice: '2' }] })).thenThrows(DomainRuleError, /quantity/);
    });
    it('does nothing when nothing changes (an amount of the same value included)', () =>
      given([dealOpened]).when(change({ name: 'Fleet renewal', amount: '1200', currency: 'EUR' })).thenNothingHappens());
    it('wins it with the reason given', () =>
      given([dealOpened]).when({ type: 'WinDeal', data: { dealId, now: later, reason: 'best offer' } }).then([{ ...won, data: { ...won.data, reason: 'best offer' } } as DealEvent]));

    it('wins it with its amount and the order it becomes', () => given([dealOpened]).when(win).then([won]));
    it('loses it with a reason', () => given([dealOpened]).when(lose()).then([lost]));
    it('refuses to lose it without a reason', () => given([dealOpened]).when(lose('  ')).thenThrows(DomainRuleError, /needs a reason/));
    it('does nothing when reopened', () => given([dealOpened]).when(reopen).thenNothingHappens());
  });

  describe('when the deal is lost', () => {
    it('cannot move unless reopened', () => given([dealOpened, lost]).when(move('proposal')).thenThrows(DomainRuleError, /is lost: reopen it first/));
    it('cannot be won', () => given([dealOpened, lost]).when(win).thenThrows(DomainRuleError, /reopen it first/));
    it('cannot be changed', () => given([dealOpened, lost]).when(change({ name: 'x' })).thenThrows(DomainRuleError, /reopen it first/));
    it('does nothing when lost again (a retry)', () => given([dealOpened, lost]).when(lose()).thenNothingHappens());
    it('reopens in the stage it was lost in', () =>
      given([dealOpened, moved, lost])
        .when(reopen)
        .then([{ type: 'DealReopened', data: { dealId, customerId, from: 'lost', stageId: 'proposal', probability: 50, reopenedAt: later } }]));
    it('reopens with the reason given', () =>
      given([dealOpened, lost])
        .when({ type: 'ReopenDeal', data: { dealId, now: later, pipeline, reason: 'budget found' } })
        .then([{ type: 'DealReopened', data: { dealId, customerId, from: 'lost', stageId: 'qualify', probability: 10, reason: 'budget found', reopenedAt: later } }]));
    it('cannot be reopened when its pipeline is gone', () =>
      given([dealOpened, lost]).when({ type: 'ReopenDeal', data: { dealId, now: later, pipeline: null } }).thenThrows(DomainRuleError, /does not exist/));
    it('moves again once reopened', () =>
      given([dealOpened, lost, { type: 'DealReopened', data: { dealId, customerId, from: 'lost', stageId: 'qualify', probability: 10, reopenedAt: opened } }])
        .when(move('proposal'))
        .then([moved]));
  });

  describe('when the deal is won', () => {
    it('cannot move unless reopened', () => given([dealOpened, won]).when(move('proposal')).thenThrows(DomainRuleError, /is won: reopen it first/));
    it('cannot be lost', () => given([dealOpened, won]).when(lose()).thenThrows(DomainRuleError, /reopen it first/));
    it('cannot be changed', () => given([dealOpened, won]).when(change({ amount: '1' })).thenThrows(DomainRuleError, /is won: reopen it first/));
    it('does nothing when won again (a retry)', () => given([dealOpened, won]).when(win).thenNothingHappens());
    it('reopens, cancelling the order the win made', () =>
      given([dealOpened, won])
        .when(reopen)
        .then([
          {
            type: 'DealReopened',
            data: { dealId, customerId, from: 'won', stageId: 'qualify', probability: 10, cancelledOrderId: orderIdOfWin(dealId, 0), cancelledAmount: '1200.00', cancelledCurrency: 'EUR', reopenedAt: later },
          },
        ]));
    it('makes a new order when won again after a reopen', () =>
      given([dealOpened, won, { type: 'DealReopened', data: { dealId, customerId, from: 'won', stageId: 'qualify', probability: 10, reopenedAt: opened } }])
        .when(win)
        .then([{ ...won, data: { ...won.data, orderId: orderIdOfWin(dealId, 1) } } as DealEvent]));
  });
});
