import { IsInt, IsString, Min } from 'class-validator';
import { ConflictError, defineEvent, DomainRuleError, EventCatalogue, type Decider } from '@clientela/contracts';

/** A small deal aggregate for the repository's tests: open, raise the amount, win. */
class DealOpened {
  @IsString() dealId!: string;
  @IsInt() @Min(0) amount!: number;
}
class DealAmountRaised {
  @IsInt() @Min(1) by!: number;
}
class DealWon {
  @IsString() wonAt!: string;
}

export const dealCatalogue = (): EventCatalogue =>
  new EventCatalogue([
    defineEvent({ type: 'DealOpened', payload: DealOpened }),
    defineEvent({ type: 'DealAmountRaised', payload: DealAmountRaised }),
    defineEvent({ type: 'DealWon', payload: DealWon }),
  ]);

export type DealEvent =
  | { type: 'DealOpened'; data: { dealId: string; amount: number } }
  | { type: 'DealAmountRaised'; data: { by: number } }
  | { type: 'DealWon'; data: { wonAt: string } };

export type DealCommand =
  | { type: 'OpenDeal'; data: { dealId: string; amount: number } }
  | { type: 'RaiseAmount'; data: { by: number } }
  | { type: 'WinDeal'; data: { now: string } };

export type DealState = { status: 'none' } | { status: 'open'; amount: number } | { status: 'won'; amount: number };

export const dealDecider: Decider<DealState, DealCommand, DealEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'DealOpened':
        return { status: 'open', amount: event.data.amount };
      case 'DealAmountRaised':
        return state.status === 'open' ? { status: 'open', amount: state.amount + event.data.by } : state;
      case 'DealWon':
        return state.status === 'open' ? { status: 'won', amount: state.amount } : state;
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'OpenDeal':
        if (state.status !== 'none') throw new ConflictError('deal already exists');
        return [{ type: 'DealOpened', data: command.data }];
      case 'RaiseAmount':
        if (state.status !== 'open') throw new DomainRuleError('deal is not open', 'deal-open');
        return [{ type: 'DealAmountRaised', data: { by: command.data.by } }];
      case 'WinDeal':
        if (state.status === 'won') return [];
        if (state.status !== 'open') throw new DomainRuleError('deal is not open', 'deal-open');
        return [{ type: 'DealWon', data: { wonAt: command.data.now } }];
    }
  },
};
