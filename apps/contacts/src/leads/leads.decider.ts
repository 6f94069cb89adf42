import {
  ConflictError,
  DomainRuleError,
  NotFoundError,
  type Decider,
  type LeadEvent,
  type LeadStatus,
  type Money,
  type QualificationStatus,
} from '@clientela/contracts';
import { normaliseEmail } from '../contacts/contacts.decider';

/** Who the lead is: what the contact (and the account, from the company name) are made of on conversion. */
export interface LeadPerson {
  givenName?: string | null;
  familyName?: string | null;
  email?: string | null;
  phone?: string | null;
  companyName?: string | null;
}
const PERSON_FIELDS = ['givenName', 'familyName', 'email', 'phone', 'companyName'] as const;

export interface LeadConversion {
  contactId: string;
  accountId?: string;
  ownerId?: string;
  convertedAt: string;
}

export type LeadState =
  | { status: 'none' }
  | {
      status: LeadStatus;
      person: LeadPerson;
      source: string;
      campaignId?: string;
      acquisitionCost?: Money;
      score?: number;
      reason?: string;
      conversion?: LeadConversion;
    };
export type ExistingLead = Exclude<LeadState, { status: 'none' }>;

export type LeadCommand =
  | {
      type: 'CaptureLead';
      data: { leadId: string; now: string; source: string; campaignId?: string; acquisitionCost?: Money; person: LeadPerson };
    }
  /** Absent fields stay as they are; null clears one. */
  | { type: 'ChangeLead'; data: { leadId: string; now: string; person: LeadPerson } }
  | { type: 'QualifyLead'; data: { leadId: string; now: string; status: QualificationStatus; score?: number; reason?: string } }
  /** The ids come in with the command, derived from the lead id, so a retried conversion names the same contact and account. */
  | { type: 'ConvertLead'; data: { leadId: string; now: string; contactId: string; accountId: string; ownerId?: string } };

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const normalisedPerson = (person: LeadPerson): LeadPerson => (person.email ? { ...person, email: normaliseEmail(person.email) } : person);

const hasIdentifier = (person: LeadPerson): boolean => Boolean(person.givenName || person.familyName || person.email || person.phone);
const needsIdentifier = () => new DomainRuleError('a lead needs a name, an email or a phone', 'lead_needs_identifier');

/** A converted lead is history: it is the contact now, and changes go there. */
const refuseConverted = (state: ExistingLead, leadId: string): void => {
  if (state.status === 'converted') throw new DomainRuleError(`lead ${leadId} is converted: change its contact instead`, 'lead_converted');
};

const capture = ({ leadId, now, source, campaignId, acquisitionCost, person }: Extract<LeadCommand, { type: 'CaptureLead' }>['data']): LeadEvent[] => {
  const given = normalisedPerson(person);
  if (!hasIdentifier(given)) throw needsIdentifier();
  const defined = Object.fromEntries(PERSON_FIELDS.filter((f) => given[f] != null).map((f) => [f, given[f]]));
  return [
    {
      type: 'LeadCaptured',
      data: {
        leadId,
        source: source.trim().toLowerCase(),
        ...(campaignId ? { campaignId } : {}),
        ...(acquisitionCost ? { acquisitionCost: { amount: acquisitionCost.amount, currency: acquisitionCost.currency.toUpperCase() } } : {}),
        ...defined,
        capturedAt: now,
      },
    },
  ];
};

const change = (state: ExistingLead, { leadId, now, person }: Extract<LeadCommand, { type: 'ChangeLead' }>['data']): LeadEvent[] => {
  refuseConverted(state, leadId);
  const given = normalisedPerson(person);
  const changed = PERSON_FIELDS.filter((f) => given[f] !== undefined && !sameValue(given[f], state.person[f]));
  if (changed.length === 0) return [];
  if (!hasIdentifier({ ...state.person, ...given })) throw needsIdentifier();
  return [{ type: 'LeadProfileChanged', data: { leadId, ...Object.fromEntries(changed.map((f) => [f, given[f]])), changedAt: now } }];
};

const qualify = (state: ExistingLead, { leadId, now, status, score, reason }: Extract<LeadCommand, { type: 'QualifyLead' }>['data']): LeadEvent[] => {
  refuseConverted(state, leadId);
  if (status === 'disqualified' && !reason?.trim()) {
    throw new DomainRuleError('a disqualified lead needs a reason', 'disqualification_needs_reason');
  }
  const unchanged = status === state.status && (score === undefined || score === state.score) && (reason === undefined || reason === state.reason);
  if (unchanged) return [];
  return [
    {
      type: 'LeadQualificationChanged',
      data: { leadId, from: state.status, to: status, ...(score !== undefined ? { score } : {}), ...(reason ? { reason } : {}), changedAt: now },
    },
  ];
};

const convert = (state: ExistingLead, { leadId, now, contactId, accountId, ownerId }: Extract<LeadCommand, { type: 'ConvertLead' }>['data']): LeadEvent[] => {
  // Clients retry: converting a converted lead is the same conversion, not an error.
  if (state.status === 'converted') return [];
  if (state.status === 'disqualified') throw new DomainRuleError(`lead ${leadId} is disqualified: it cannot convert`, 'lead_disqualified');
  if (state.status !== 'qualified') throw new DomainRuleError(`lead ${leadId} is ${state.status}: only a qualified lead converts`, 'lead_not_qualified');
  return [
    {
      type: 'LeadConverted',
      data: {
        leadId,
        contactId,
        ...(state.person.companyName ? { accountId } : {}),
        ...(ownerId ? { ownerId } : {}),
        source: state.source,
        ...(state.campaignId ? { campaignId: state.campaignId } : {}),
        ...(state.acquisitionCost ? { acquisitionCost: state.acquisitionCost } : {}),
        ...(state.score !== undefined ? { score: state.score } : {}),
        convertedAt: now,
      },
    },
  ];
};

export const initialState = (): LeadState => ({ status: 'none' });

export const evolve = (state: LeadState, event: LeadEvent): LeadState => {
  if (event.type === 'LeadCaptured') {
    const { leadId: _l, capturedAt: _c, source, campaignId, acquisitionCost, ...person } = event.data;
    return { status: 'new', person, source, ...(campaignId ? { campaignId } : {}), ...(acquisitionCost ? { acquisitionCost } : {}) };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'LeadProfileChanged': {
      const { leadId: _l, changedAt: _c, ...changes } = event.data;
      return { ...state, person: { ...state.person, ...changes } };
    }
    case 'LeadQualificationChanged': {
      const { to, score, reason } = event.data;
      return { ...state, status: to, ...(score !== undefined ? { score } : {}), reason };
    }
    case 'LeadConverted': {
      const { contactId, accountId, ownerId, convertedAt } = event.data;
      return { ...state, status: 'converted', conversion: { contactId, ...(accountId ? { accountId } : {}), ...(ownerId ? { ownerId } : {}), convertedAt } };
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const decide = (command: LeadCommand, state: LeadState): LeadEvent[] => {
  if (command.type === 'CaptureLead') {
    if (state.status !== 'none') throw new ConflictError(`lead ${command.data.leadId} already exists`);
    return capture(command.data);
  }
  if (state.status === 'none') throw new NotFoundError(`lead ${command.data.leadId} not found`);
  switch (command.type) {
    case 'ChangeLead':
      return change(state, command.data);
    case 'QualifyLead':
      return qualify(state, command.data);
    case 'ConvertLead':
      return convert(state, command.data);
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
};

export const leadsDecider: Decider<LeadState, LeadCommand, LeadEvent> = { initialState, evolve, decide };
