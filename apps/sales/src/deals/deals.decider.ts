import { ConflictError, nameBasedUuid, DomainRuleError, NotFoundError, type Decider, type DealEvent, type DealLine, type PipelineStage, assertAmount, fromUnits, toUnits, type Units } from '@clientela/contracts';
import { stageOf } from '../pipelines/pipelines.decider';

/** A line as a client gives it: the total is computed, the currency must be the deal's. */
export interface DealLineInput {
  productId: string;
  name?: string;
  quantity: number;
  unitPrice: string;
  discount?: string;
  currency?: string;
}

/** The deal's pipeline as the command handler read it from its stream (null: it does not exist). */
export type PipelineSnapshot = { pipelineId: string; stages: readonly PipelineStage[] } | null;

export interface DealFields {
  name?: string;
  amount?: string;
  currency?: string;
  expectedCloseDate?: string | null;
  ownerId?: string | null;
  accountId?: string | null;
  lines?: DealLineInput[];
}

interface DealFacts {
  dealId: string;
  customerId: string;
  pipelineId: string;
  stageId: string;
  probability: number;
  stageEnteredAt: string;
  name: string;
  amount: string;
  currency: string;
  expectedCloseDate: string | null;
  ownerId: string | null;
  accountId: string | null;
  lines: DealLine[];
  /** How many times it was won: each win makes its own order. */
  wins: number;
  orderId: string | null;
}

export type DealState = { status: 'none' } | ({ status: 'open' | 'won' | 'lost' } & DealFacts);
type ExistingDeal = Exclude<DealState, { status: 'none' }>;

export type DealCommand =
  | {
      type: 'OpenDeal';
      data: DealFields & {
        dealId: string;
        customerId: string;
        now: string;
        pipelineId: string;
        pipeline: PipelineSnapshot;
        /** Default: the pipeline's first stage. */
        stageId?: string;
        name: string;
        currency: string;
        leadId?: string;
        source?: string;
      };
    }
  | { type: 'ChangeDeal'; data: DealFields & { dealId: string; now: string } }
  | { type: 'MoveDealStage'; data: { dealId: string; now: string; stageId: string; pipeline: PipelineSnapshot } }
  | { type: 'WinDeal'; data: { dealId: string; now: string; reason?: string } }
  | { type: 'LoseDeal'; data: { dealId: string; now: string; reason: string } }
  | { type: 'ReopenDeal'; data: { dealId: string; now: string; reason?: string; pipeline: PipelineSnapshot } };

const ORDER_NAMESPACE = '3c9a4d0e-5b6f-4e21-9a7d-1f2e3d4c5b6a';
/** The order a win makes: one per win, the same id however often the win is retried. */
export const orderIdOfWin = (dealId: string, win: number): string => nameBasedUuid(`deal-order|${dealId}|${win}`, ORDER_NAMESPACE);

export const isDealClosed = (state: DealState): state is ExistingDeal & { status: 'won' | 'lost' } => state.status === 'won' || state.status === 'lost';

const secondsBetween = (from: string, to: string): number => Math.max(0, Math.floor((Date.parse(to) - Date.parse(from)) / 1000));

const lineOf = (line: DealLineInput, index: number, currency: string): DealLine => {
  if (line.currency !== undefined && line.currency !== currency) {
    throw new DomainRuleError(`lines.${index}: currency ${line.currency} is not the deal's ${currency} (currencies do not mix in one deal)`, 'currency_mismatch');
  }
  if (!Number.isInteger(line.quantity) || line.quantity < 1) throw new DomainRuleError(`lines.${index}: quantity must be a whole number of at least 1`, 'invalid_quantity');
  const unitPrice = assertAmount(toUnits(line.unitPrice, `lines.${index}.unitPrice`), `lines.${index}.unitPrice`);
  const discount = assertAmount(toUnits(line.discount ?? '0', `lines.${index}.discount`), `lines.${index}.discount`);
  const gross = unitPrice * BigInt(line.quantity);
  if (discount > gross) throw new DomainRuleError(`lines.${index}: the discount is more than the line's ${fromUnits(gross)}`, 'discount_exceeds_line');
  const total = assertAmount(gross - discount, `lines.${index}.total`);
  return {
    productId: line.productId,
    ...(line.name !== undefined ? { name: line.name } : {}),
    quantity: line.quantity,
    unitPrice: fromUnits(unitPrice),
    discount: fromUnits(discount),
    total: fromUnits(total),
  };
};

/** The amount a deal states: its lines' total when it has lines (a different amount given is refused), else the amount given. */
const amountOf = (lines: readonly DealLine[], given: string | undefined, fallback: string): string => {
  if (lines.length === 0) return fromUnits(assertAmount(toUnits(given ?? fallback), 'amount'));
  const total = assertAmount(lines.reduce<Units>((sum, l) => sum + toUnits(l.total), 0n), 'amount');
  if (given !== undefined && toUnits(given) !== total) {
    throw new DomainRuleError(`amount ${given} is not the lines' total ${fromUnits(total)}: a deal with lines is worth its lines`, 'amount_not_lines_total');
  }
  return fromUnits(total);
};

const pipelineStage = (pipeline: PipelineSnapshot, pipelineId: string, stageId: string): PipelineStage => {
  if (!pipeline || pipeline.pipelineId !== pipelineId) throw new DomainRuleError(`pipeline ${pipelineId} does not exist`, 'pipeline_not_found');
  const stage = stageOf(pipeline, stageId);
  if (!stage) throw new DomainRuleError(`stage ${stageId} is not a stage of pipeline ${pipelineId}`, 'stage_not_in_pipeline');
  return stage;
};

const open = (data: Extract<DealCommand, { type: 'OpenDeal' }>['data']): DealEvent[] => {
  const { dealId, customerId, now, pipeline, pipelineId } = data;
  const stage = pipelineStage(pipeline, pipelineId, data.stageId ?? pipeline?.stages[0]?.stageId ?? '');
  if (!data.name.trim()) throw new DomainRuleError('a deal needs a name', 'deal_needs_name');
  const lines = (data.lines ?? []).map((l, i) => lineOf(l, i, data.currency));
  return [
    {
      type: 'DealOpened',
      data: {
        dealId,
        customerId,
        pipelineId,
        stageId: stage.stageId,
        probability: stage.probability,
        name: data.name,
        amount: amountOf(lines, data.amount, '0'),
        currency: data.currency,
        ...(data.expectedCloseDate ? { expectedCloseDate: data.expectedCloseDate } : {}),
        ...(data.ownerId ? { ownerId: data.ownerId } : {}),
        ...(data.accountId ? { accountId: data.accountId } : {}),
        lines,
        ...(data.leadId ? { leadId: data.leadId } : {}),
        ...(data.source ? { source: data.source } : {}),
        openedAt: now,
      },
    },
  ];
};

const change = (state: ExistingDeal, data: Extract<DealCommand, { type: 'ChangeDeal' }>['data']): DealEvent[] => {
  if (data.name !== undefined && !data.name.trim()) throw new DomainRuleError('a deal needs a name', 'deal_needs_name');
  const currency = data.currency ?? state.currency;
  if (currency !== state.currency && data.lines === undefined && state.lines.length > 0) {
    throw new DomainRuleError(`the deal's lines are in ${state.currency}: give new lines to change its currency to ${currency}`, 'currency_mismatch');
  }
  const lines = data.lines === undefined ? undefined : data.lines.map((l, i) => lineOf(l, i, currency));
  const amount = data.amount !== undefined || lines !== undefined ? amountOf(lines ?? state.lines, data.amount, state.amount) : undefined;
  const changed = {
    ...(data.name !== undefined && data.name !== state.name ? { name: data.name } : {}),
    ...(amount !== undefined && toUnits(amount) !== toUnits(state.amount) ? { amount } : {}),
    ...(currency !== state.currency ? { currency } : {}),
    ...(data.expectedCloseDate !== undefined && data.expectedCloseDate !== state.expectedCloseDate ? { expectedCloseDate: data.expectedCloseDate } : {}),
    ...(data.ownerId !== undefined && data.ownerId !== state.ownerId ? { ownerId: data.ownerId } : {}),
    ...(data.accountId !== undefined && data.accountId !== state.accountId ? { accountId: data.accountId } : {}),
    ...(lines !== undefined && JSON.stringify(lines) !== JSON.stringify(state.lines) ? { lines } : {}),
  };
  if (Object.keys(changed).length === 0) return [];
  return [{ type: 'DealChanged', data: { dealId: state.dealId, customerId: state.customerId, ...changed, changedAt: data.now } }];
};

export const initialState = (): DealState => ({ status: 'none' });

export const evolve = (state: DealState, event: DealEvent): DealState => {
  if (event.type === 'DealOpened') {
    const d = event.data;
    return {
      status: 'open',
      dealId: d.dealId,
      customerId: d.customerId,
      pipelineId: d.pipelineId,
      stageId: d.stageId,
      probability: d.probability,
      stageEnteredAt: d.openedAt,
      name: d.name,
      amount: d.amount,
      currency: d.currency,
      expectedCloseDate: d.expectedCloseDate ?? null,
      ownerId: d.ownerId ?? null,
      accountId: d.accountId ?? null,
      lines: d.lines,
      wins: 0,
      orderId: null,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'DealChanged': {
      const { dealId: _d, customerId: _c, changedAt: _t, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'DealStageMoved':
      return { ...state, stageId: event.data.to, probability: event.data.probability, stageEnteredAt: event.data.movedAt };
    case 'DealWon':
      return { ...state, status: 'won', wins: state.wins + 1, orderId: event.data.orderId };
    case 'DealLost':
      return { ...state, status: 'lost' };
    case 'DealReopened':
      return { ...state, status: 'open', stageId: event.data.stageId, probability: event.data.probability, stageEnteredAt: event.data.reopenedAt, orderId: null };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const decide = (command: DealCommand, state: DealState): DealEvent[] => {
  if (command.type === 'OpenDeal') {
    if (state.status !== 'none') throw new ConflictError(`deal ${command.data.dealId} already exists`);
    return open(command.data);
  }
  const { dealId, now } = command.data;
  if (state.status === 'none') throw new NotFoundError(`deal ${dealId} not found`);
  const { customerId } = state;
  const closed = () => new DomainRuleError(`deal ${dealId} is ${state.status}: reopen it first`, 'deal_closed');
  switch (command.type) {
    case 'ChangeDeal':
      if (isDealClosed(state)) throw closed();
      return change(state, command.data);
    case 'MoveDealStage': {
      if (isDealClosed(state)) throw closed();
      const stage = pipelineStage(command.data.pipeline, state.pipelineId, command.data.stageId);
      if (stage.stageId === state.stageId) return [];
      return [
        {
          type: 'DealStageMoved',
          data: {
            dealId, customerId, pipelineId: state.pipelineId, from: state.stageId, to: stage.stageId, probability: stage.probability,
            secondsInStage: secondsBetween(state.stageEnteredAt, now), movedAt: now,
          },
        },
      ];
    }
    case 'WinDeal':
      // Clients retry; winning a won deal is not an error.
      if (state.status === 'won') return [];
      if (state.status === 'lost') throw closed();
      return [
        {
          type: 'DealWon',
          data: {
            dealId, customerId, stageId: state.stageId, amount: state.amount, currency: state.currency, orderId: orderIdOfWin(dealId, state.wins),
            ...(command.data.reason ? { reason: command.data.reason } : {}), secondsInStage: secondsBetween(state.stageEnteredAt, now), wonAt: now,
          },
        },
      ];
    case 'LoseDeal':
      if (state.status === 'lost') return [];
      if (state.status === 'won') throw closed();
      if (!command.data.reason.trim()) throw new DomainRuleError('a lost deal needs a reason', 'loss_needs_reason');
      return [{ type: 'DealLost', data: { dealId, customerId, stageId: state.stageId, reason: command.data.reason, secondsInStage: secondsBetween(state.stageEnteredAt, now), lostAt: now } }];
    case 'ReopenDeal': {
      if (state.status === 'open') return [];
      const stage = pipelineStage(command.data.pipeline, state.pipelineId, state.stageId);
      const cancelled = state.status === 'won' && state.orderId
        ? { cancelledOrderId: state.orderId, cancelledAmount: state.amount, cancelledCurrency: state.currency }
        : {};
      return [
        {
          type: 'DealReopened',
          data: {
            dealId, customerId, from: state.status, stageId: stage.stageId, probability: stage.probability, ...cancelled,
            ...(command.data.reason ? { reason: command.data.reason } : {}), reopenedAt: now,
          },
        },
      ];
    }
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
};

export const dealsDecider: Decider<DealState, DealCommand, DealEvent> = { initialState, evolve, decide };
