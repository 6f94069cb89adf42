import { ConflictError, DomainRuleError, NotFoundError, type Decider, type SalesRepEvent, type SalesTeamEvent, assertAmount, fromUnits, toUnits } from '@clientela/contracts';

export type SalesTeamState = { status: 'none' } | { status: 'active'; name: string };

export type SalesTeamCommand =
  | { type: 'CreateSalesTeam'; data: { teamId: string; now: string; name: string } }
  | { type: 'RenameSalesTeam'; data: { teamId: string; now: string; name: string } };

export const salesTeamsDecider: Decider<SalesTeamState, SalesTeamCommand, SalesTeamEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'SalesTeamCreated':
      case 'SalesTeamRenamed':
        return { status: 'active', name: event.data.name };
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
  decide: (command, state) => {
    const { teamId, now, name } = command.data;
    if (!name.trim()) throw new DomainRuleError('a team needs a name', 'team_needs_name');
    switch (command.type) {
      case 'CreateSalesTeam':
        if (state.status !== 'none') throw new ConflictError(`team ${teamId} already exists`);
        return [{ type: 'SalesTeamCreated', data: { teamId, name, createdAt: now } }];
      case 'RenameSalesTeam':
        if (state.status === 'none') throw new NotFoundError(`team ${teamId} not found`);
        return name === state.name ? [] : [{ type: 'SalesTeamRenamed', data: { teamId, name, renamedAt: now } }];
      default: {
        const unreachable: never = command;
        return unreachable;
      }
    }
  },
};

export type SalesRepState =
  | { status: 'none' }
  | { status: 'active'; name: string; email: string | null; teamId: string | null; quotas: Record<string, { amount: string; currency: string }> };

/** `teamExists` is the handler's answer from the team's stream: a rep joins only a team that exists. */
export type SalesRepCommand =
  | { type: 'RegisterSalesRep'; data: { repId: string; now: string; name: string; email?: string; teamId?: string; teamExists: boolean } }
  | { type: 'ChangeSalesRep'; data: { repId: string; now: string; name?: string; email?: string | null; teamId?: string | null; teamExists: boolean } }
  | { type: 'SetSalesQuota'; data: { repId: string; now: string; period: string; amount: string; currency: string } };

const assertTeam = (teamId: string | null | undefined, exists: boolean) => {
  if (teamId && !exists) throw new DomainRuleError(`team ${teamId} does not exist`, 'team_not_found');
};

export const salesRepsDecider: Decider<SalesRepState, SalesRepCommand, SalesRepEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'SalesRepRegistered':
        return { status: 'active', name: event.data.name, email: event.data.email ?? null, teamId: event.data.teamId ?? null, quotas: {} };
      case 'SalesRepChanged': {
        if (state.status === 'none') return state;
        const { repId: _r, changedAt: _c, ...changes } = event.data;
        return { ...state, ...changes };
      }
      case 'SalesQuotaSet':
        if (state.status === 'none') return state;
        return { ...state, quotas: { ...state.quotas, [event.data.period]: { amount: event.data.amount, currency: event.data.currency } } };
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
  decide: (command, state) => {
    const { repId, now } = command.data;
    if (command.type === 'RegisterSalesRep') {
      if (state.status !== 'none') throw new ConflictError(`sales rep ${repId} already exists`);
      const { name, email, teamId, teamExists } = command.data;
      if (!name.trim()) throw new DomainRuleError('a sales rep needs a name', 'rep_needs_name');
      assertTeam(teamId, teamExists);
      return [{ type: 'SalesRepRegistered', data: { repId, name, ...(email ? { email } : {}), ...(teamId ? { teamId } : {}), registeredAt: now } }];
    }
    if (state.status === 'none') throw new NotFoundError(`sales rep ${repId} not found`);
    switch (command.type) {
      case 'ChangeSalesRep': {
        const { name, email, teamId, teamExists } = command.data;
        if (name !== undefined && !name.trim()) throw new DomainRuleError('a sales rep needs a name', 'rep_needs_name');
        assertTeam(teamId, teamExists);
        const changed = {
          ...(name !== undefined && name !== state.name ? { name } : {}),
          ...(email !== undefined && email !== state.email ? { email } : {}),
          ...(teamId !== undefined && teamId !== state.teamId ? { teamId } : {}),
        };
        return Object.keys(changed).length === 0 ? [] : [{ type: 'SalesRepChanged', data: { repId, ...changed, changedAt: now } }];
      }
      case 'SetSalesQuota': {
        const { period, currency } = command.data;
        const amount = fromUnits(assertAmount(toUnits(command.data.amount), 'amount'));
        const current = state.quotas[period];
        if (current && current.currency === currency && toUnits(current.amount) === toUnits(amount)) return [];
        return [{ type: 'SalesQuotaSet', data: { repId, period, amount, currency, setAt: now } }];
      }
      default: {
        const unreachable: never = command;
        return unreachable;
      }
    }
  },
};
