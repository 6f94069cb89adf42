import { ConflictError, DomainRuleError, NotFoundError, type AccountEvent, type AccountSize, type Decider, type PostalAddress } from '@clientela/contracts';

export interface AccountProfile {
  name?: string | null;
  domain?: string | null;
  industry?: string | null;
  size?: AccountSize | null;
  address?: PostalAddress | null;
  ownerId?: string | null;
}
const PROFILE_FIELDS = ['name', 'domain', 'industry', 'size', 'address', 'ownerId'] as const;

export type AccountState =
  | { status: 'none' }
  | { status: 'active' | 'archived'; profile: AccountProfile };

export type AccountCommand =
  | { type: 'RegisterAccount'; data: { accountId: string; now: string; profile: AccountProfile & { name: string } } }
  /** Absent fields stay as they are; null clears one. */
  | { type: 'ChangeAccount'; data: { accountId: string; now: string; profile: AccountProfile } }
  | { type: 'ArchiveAccount'; data: { accountId: string; now: string; reason?: string } };

/**
 * Domains compare as people mean them: `https://www.Example.com/about` is `example.com`, so one
 * company is found by its domain however it was typed.
 */
export const normaliseDomain = (domain: string): string =>
  domain
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/[/?#].*$/, '')
    .replace(/:\d+$/, '')
    .replace(/\.$/, '')
    .replace(/^www\./, '');

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const normalised = (profile: AccountProfile): AccountProfile =>
  profile.domain ? { ...profile, domain: normaliseDomain(profile.domain) } : profile;

const register = ({ accountId, now, profile }: Extract<AccountCommand, { type: 'RegisterAccount' }>['data']): AccountEvent[] => {
  const given = normalised(profile);
  if (!given.name?.trim()) throw new DomainRuleError('an account needs a name', 'account_needs_name');
  const defined = Object.fromEntries(PROFILE_FIELDS.filter((f) => given[f] != null).map((f) => [f, given[f]]));
  return [{ type: 'AccountRegistered', data: { accountId, ...defined, name: given.name, registeredAt: now } }];
};

const change = (
  state: Exclude<AccountState, { status: 'none' }>,
  { accountId, now, profile }: Extract<AccountCommand, { type: 'ChangeAccount' }>['data'],
): AccountEvent[] => {
  const given = normalised(profile);
  if (given.name === null || (given.name !== undefined && !given.name.trim())) {
    throw new DomainRuleError('an account needs a name: it cannot be cleared', 'account_needs_name');
  }
  const changed = PROFILE_FIELDS.filter((f) => given[f] !== undefined && !sameValue(given[f], state.profile[f]));
  if (changed.length === 0) return [];
  return [{ type: 'AccountProfileChanged', data: { accountId, ...Object.fromEntries(changed.map((f) => [f, given[f]])), changedAt: now } }];
};

export const initialState = (): AccountState => ({ status: 'none' });

export const evolve = (state: AccountState, event: AccountEvent): AccountState => {
  switch (event.type) {
    case 'AccountRegistered': {
      const { accountId: _a, registeredAt: _r, ...profile } = event.data;
      return { status: 'active', profile };
    }
    case 'AccountProfileChanged': {
      if (state.status === 'none') return state;
      const { accountId: _a, changedAt: _t, ...changes } = event.data;
      return { ...state, profile: { ...state.profile, ...changes } };
    }
    case 'AccountArchived':
      return state.status === 'none' ? state : { ...state, status: 'archived' };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const decide = (command: AccountCommand, state: AccountState): AccountEvent[] => {
  if (command.type === 'RegisterAccount') {
    if (state.status !== 'none') throw new ConflictError(`account ${command.data.accountId} already exists`);
    return register(command.data);
  }
  const { accountId, now } = command.data;
  if (state.status === 'none') throw new NotFoundError(`account ${accountId} not found`);
  switch (command.type) {
    case 'ChangeAccount':
      if (state.status === 'archived') throw new DomainRuleError(`account ${accountId} is archived: it takes no changes`, 'account_archived');
      return change(state, command.data);
    case 'ArchiveAccount':
      // Clients retry; archiving an archived account is not an error.
      if (state.status === 'archived') return [];
      return [{ type: 'AccountArchived', data: { accountId, ...(command.data.reason ? { reason: command.data.reason } : {}), archivedAt: now } }];
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
};

export const accountsDecider: Decider<AccountState, AccountCommand, AccountEvent> = { initialState, evolve, decide };
