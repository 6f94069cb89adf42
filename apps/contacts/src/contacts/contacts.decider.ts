import {
  ConflictError,
  DomainRuleError,
  LIFECYCLE_STAGES,
  NotFoundError,
  type ConsentPurpose,
  type ContactChannel,
  type ContactEvent,
  type Decider,
  type LifecycleStage,
  type PostalAddress,
  type PreferredChannel,
} from '@clientela/contracts';
import { checkCustomValues, type CustomFieldDefinition, type CustomFieldValue } from '../custom-fields/custom-fields.decider';

export interface ContactProfile {
  givenName?: string | null;
  familyName?: string | null;
  language?: string | null;
  preferredChannel?: PreferredChannel | null;
  address?: PostalAddress | null;
  ownerId?: string | null;
  accountId?: string | null;
}
const PROFILE_FIELDS = ['givenName', 'familyName', 'language', 'preferredChannel', 'address', 'ownerId', 'accountId'] as const;

export interface Identity {
  source: string;
  externalId: string;
}

export interface ConsentChange {
  channel: ContactChannel;
  purpose: ConsentPurpose;
  source: string;
}

export type ContactState =
  | { status: 'none' }
  | {
      status: 'active';
      profile: ContactProfile;
      /** In order; the first is the primary one. */
      emails: string[];
      phones: string[];
      tags: string[];
      identities: Identity[];
      stage: LifecycleStage;
      /** Granted consents, as `channel:purpose`. */
      consents: string[];
      customFields: Record<string, CustomFieldValue>;
      /** The contact it was merged into (its own stream's ContactMerged), null while it is its own. */
      mergedInto: string | null;
      /** Contacts merged into it, directly or before they were merged into it: they count as it. */
      absorbed: string[];
      /** Its person was erased (ContactErased): it takes no command any more. */
      erased: boolean;
    };

/** Custom field values sent with a command, and the definitions the handler loaded to check them. */
export interface CustomFieldInput {
  values: Record<string, unknown>;
  definitions: Record<string, CustomFieldDefinition>;
}

export type ContactCommand =
  | {
      type: 'RegisterContact';
      data: {
        contactId: string;
        now: string;
        profile: ContactProfile;
        emails?: string[];
        phones?: string[];
        tags?: string[];
        identities?: Identity[];
        lifecycleStage?: LifecycleStage;
        consents?: ConsentChange[];
        customFields?: CustomFieldInput;
      };
    }
  | {
      type: 'UpdateContact';
      /** Absent fields stay as they are; lists given replace the current ones. */
      data: { contactId: string; now: string; profile: ContactProfile; emails?: string[]; phones?: string[]; tags?: string[]; customFields?: CustomFieldInput };
    }
  | { type: 'ChangeLifecycleStage'; data: { contactId: string; now: string; stage: LifecycleStage; reason?: string } }
  | { type: 'LinkIdentity'; data: { contactId: string; identity: Identity } }
  | { type: 'UnlinkIdentity'; data: { contactId: string; identity: Identity } }
  | { type: 'GiveConsent'; data: { contactId: string; now: string; consent: ConsentChange } }
  | { type: 'WithdrawConsent'; data: { contactId: string; now: string; consent: ConsentChange } }
  /** Withdraws every consent granted on the channel (all channels when absent). */
  | { type: 'Unsubscribe'; data: { contactId: string; now: string; channel?: ContactChannel; source: string } };

/** Emails compare trimmed and in lower case (the local part is case-insensitive in practice). */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();
const unique = (values: readonly string[]): string[] => [...new Set(values)];
const consentKey = (c: { channel: string; purpose: string }) => `${c.channel}:${c.purpose}`;

const stageRank = (stage: LifecycleStage): number => LIFECYCLE_STAGES.indexOf(stage);

/** Which stage moves are allowed: forwards along the journey; churn only from a customer; back from churn only to customer. */
export const isStageChangeAllowed = (from: LifecycleStage, to: LifecycleStage): boolean => {
  if (to === 'churned') return from === 'customer' || from === 'evangelist';
  if (from === 'churned') return to === 'customer';
  return stageRank(to) > stageRank(from);
};

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Emails, phones or tags: the events that turn `current` into `next` (removals first, then additions). */
const listChanges = <E>(
  current: readonly string[],
  next: readonly string[],
  removed: (value: string) => E,
  added: (value: string, index: number) => E,
): E[] => {
  const primaryChanged = next.length > 0 && current[0] !== next[0];
  const toRemove = current.filter((v) => !next.includes(v) || (primaryChanged && v === next[0]));
  const kept = current.filter((v) => !toRemove.includes(v));
  const toAdd = next.filter((v) => !kept.includes(v));
  return [...toRemove.map(removed), ...toAdd.map((v) => added(v, next.indexOf(v)))];
};

const addressChannels: Record<ContactChannel, 'emails' | 'phones'> = { email: 'emails', sms: 'phones', phone: 'phones' };

const ids = (contactId: string) => ({ contactId, customerId: contactId });

const consentEvents = (
  state: Extract<ContactState, { status: 'active' }>,
  contactId: string,
  now: string,
  consents: readonly ConsentChange[],
): ContactEvent[] =>
  consents
    .filter((c, i) => !state.consents.includes(consentKey(c)) && consents.findIndex((o) => consentKey(o) === consentKey(c)) === i)
    .map((c) => {
      if (state[addressChannels[c.channel]].length === 0) {
        throw new DomainRuleError(`consent on ${c.channel} needs the contact to have ${c.channel === 'email' ? 'an email' : 'a phone'}`, 'consent_needs_address');
      }
      return { type: 'ContactConsentGiven' as const, data: { ...ids(contactId), channel: c.channel, purpose: c.purpose, source: c.source, at: now } };
    });

/** The custom values that differ from what the contact has, checked against their definitions. */
const customFieldEvents = (state: Extract<ContactState, { status: 'active' }>, contactId: string, input: CustomFieldInput | undefined): ContactEvent[] => {
  if (!input) return [];
  const values = checkCustomValues(input.definitions, input.values);
  const changed = Object.fromEntries(Object.entries(values).filter(([key, value]) => (state.customFields[key] ?? null) !== value));
  return Object.keys(changed).length === 0 ? [] : [{ type: 'ContactCustomFieldsChanged', data: { ...ids(contactId), values: changed } }];
};

const register = (command: Extract<ContactCommand, { type: 'RegisterContact' }>['data']): ContactEvent[] => {
  const { contactId, now, profile } = command;
  const emails = unique((command.emails ?? []).map(normaliseEmail));
  const phones = unique(command.phones ?? []);
  if (!profile.givenName && !profile.familyName && emails.length === 0 && phones.length === 0) {
    throw new DomainRuleError('a contact needs a name, an email or a phone', 'contact_needs_identifier');
  }
  const definedProfile = Object.fromEntries(PROFILE_FIELDS.filter((f) => profile[f] != null).map((f) => [f, profile[f]]));
  const registered: ContactEvent = {
    type: 'ContactRegistered',
    data: { ...ids(contactId), ...definedProfile, lifecycleStage: command.lifecycleStage ?? 'subscriber', registeredAt: now },
  };
  const events: ContactEvent[] = [
    registered,
    ...emails.map((email, i): ContactEvent => ({ type: 'ContactEmailAdded', data: { ...ids(contactId), email, primary: i === 0 } })),
    ...phones.map((phone, i): ContactEvent => ({ type: 'ContactPhoneAdded', data: { ...ids(contactId), phone, primary: i === 0 } })),
    ...unique(command.tags ?? []).map((tag): ContactEvent => ({ type: 'ContactTagged', data: { ...ids(contactId), tag } })),
  ];
  const identities = command.identities ?? [];
  const sources = new Set<string>();
  for (const identity of identities) {
    if (sources.has(identity.source)) throw new DomainRuleError(`two identities at source ${identity.source}`, 'one_identity_per_source');
    sources.add(identity.source);
    events.push({ type: 'ContactIdentityLinked', data: { ...ids(contactId), ...identity } });
  }
  const state = events.reduce(evolve, initialState());
  if (state.status !== 'active') throw new Error('unreachable: registration makes the contact active');
  return [...events, ...customFieldEvents(state, contactId, command.customFields), ...consentEvents(state, contactId, now, command.consents ?? [])];
};

const update = (
  state: Extract<ContactState, { status: 'active' }>,
  command: Extract<ContactCommand, { type: 'UpdateContact' }>['data'],
): ContactEvent[] => {
  const { contactId, now, profile } = command;
  const changed = PROFILE_FIELDS.filter((f) => profile[f] !== undefined && !sameValue(profile[f], state.profile[f]));
  const events: ContactEvent[] = [];
  if (changed.length > 0) {
    events.push({
      type: 'ContactProfileChanged',
      data: { ...ids(contactId), ...Object.fromEntries(changed.map((f) => [f, profile[f]])), changedAt: now },
    });
  }
  if (command.emails) {
    events.push(
      ...listChanges<ContactEvent>(
        state.emails,
        unique(command.emails.map(normaliseEmail)),
        (email) => ({ type: 'ContactEmailRemoved', data: { ...ids(contactId), email } }),
        (email, i) => ({ type: 'ContactEmailAdded', data: { ...ids(contactId), email, primary: i === 0 } }),
      ),
    );
  }
  if (command.phones) {
    events.push(
      ...listChanges<ContactEvent>(
        state.phones,
        unique(command.phones),
        (phone) => ({ type: 'ContactPhoneRemoved', data: { ...ids(contactId), phone } }),
        (phone, i) => ({ type: 'ContactPhoneAdded', data: { ...ids(contactId), phone, primary: i === 0 } }),
      ),
    );
  }
  if (command.tags) {
    const next = unique(command.tags);
    events.push(
      ...state.tags.filter((t) => !next.includes(t)).map((tag): ContactEvent => ({ type: 'ContactUntagged', data: { ...ids(contactId), tag } })),
      ...next.filter((t) => !state.tags.includes(t)).map((tag): ContactEvent => ({ type: 'ContactTagged', data: { ...ids(contactId), tag } })),
    );
  }
  events.push(...customFieldEvents(state, contactId, command.customFields));
  const after = events.reduce(evolve, state as ContactState);
  if (after.status === 'active' && after.emails.length + after.phones.length === 0 && !after.profile.givenName && !after.profile.familyName) {
    throw new DomainRuleError('a contact needs a name, an email or a phone', 'contact_needs_identifier');
  }
  return events;
};

export const initialState = (): ContactState => ({ status: 'none' });

export const evolve = (state: ContactState, event: ContactEvent): ContactState => {
  if (event.type === 'ContactRegistered') {
    const { contactId: _c, customerId: _u, lifecycleStage, registeredAt: _r, ...profile } = event.data;
    return { status: 'active', profile, emails: [], phones: [], tags: [], identities: [], stage: lifecycleStage, consents: [], customFields: {}, mergedInto: null, absorbed: [], erased: false };
  }
  if (state.status !== 'active') return state;
  switch (event.type) {
    case 'ContactProfileChanged': {
      const { contactId: _c, customerId: _u, changedAt: _t, ...changes } = event.data;
      return { ...state, profile: { ...state.profile, ...changes } };
    }
    case 'ContactEmailAdded':
      return { ...state, emails: event.data.primary ? [event.data.email, ...state.emails] : [...state.emails, event.data.email] };
    case 'ContactEmailRemoved':
      return { ...state, emails: state.emails.filter((e) => e !== event.data.email) };
    case 'ContactPhoneAdded':
      return { ...state, phones: event.data.primary ? [event.data.phone, ...state.phones] : [...state.phones, event.data.phone] };
    case 'ContactPhoneRemoved':
      return { ...state, phones: state.phones.filter((p) => p !== event.data.phone) };
    case 'ContactTagged':
      return { ...state, tags: [...state.tags, event.data.tag] };
    case 'ContactUntagged':
      return { ...state, tags: state.tags.filter((t) => t !== event.data.tag) };
    case 'ContactIdentityLinked':
      return { ...state, identities: [...state.identities, { source: event.data.source, externalId: event.data.externalId }] };
    case 'ContactIdentityUnlinked':
      return { ...state, identities: state.identities.filter((i) => i.source !== event.data.source || i.externalId !== event.data.externalId) };
    case 'ContactLifecycleStageChanged':
      return { ...state, stage: event.data.to };
    case 'ContactConsentGiven':
      return { ...state, consents: [...state.consents, consentKey(event.data)] };
    case 'ContactConsentWithdrawn':
      return { ...state, consents: state.consents.filter((c) => c !== consentKey(event.data)) };
    case 'ContactCustomFieldsChanged': {
      const customFields = { ...state.customFields, ...event.data.values };
      for (const [key, value] of Object.entries(event.data.values)) if (value === null) delete customFields[key];
      return { ...state, customFields };
    }
    case 'ContactMerged':
      return { ...state, mergedInto: event.data.survivorId };
    case 'ContactUnmerged':
      return { ...state, mergedInto: null };
    case 'ContactDuplicateAbsorbed':
      return { ...state, absorbed: [...state.absorbed, ...event.data.members.filter((m) => !state.absorbed.includes(m))] };
    case 'ContactDuplicateReleased':
      return { ...state, absorbed: state.absorbed.filter((m) => !event.data.members.includes(m)) };
    case 'ContactErased':
      return { ...state, erased: true };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const decide = (command: ContactCommand, state: ContactState): ContactEvent[] => {
  if (command.type === 'RegisterContact') {
    if (state.status !== 'none') throw new ConflictError(`contact ${command.data.contactId} already exists`);
    return register(command.data);
  }
  if (state.status === 'none') throw new NotFoundError(`contact ${command.data.contactId} not found`);
  const { contactId } = command.data;
  // Its personal values are gone for good; a command would write new ones or change a husk.
  if (state.erased) throw new DomainRuleError(`contact ${contactId} was erased`, 'contact_erased');
  // A merged contact is read through its survivor; changing it would change what an unmerge gives back.
  if (state.mergedInto !== null) throw new DomainRuleError(`contact ${contactId} is merged into ${state.mergedInto}: change that contact, or unmerge first`, 'contact_merged');
  switch (command.type) {
    case 'UpdateContact':
      return update(state, command.data);
    case 'ChangeLifecycleStage': {
      const { stage, now, reason } = command.data;
      if (stage === state.stage) return [];
      if (!isStageChangeAllowed(state.stage, stage)) {
        throw new DomainRuleError(`a contact cannot move from ${state.stage} to ${stage}`, 'lifecycle_stage_order');
      }
      return [{ type: 'ContactLifecycleStageChanged', data: { ...ids(contactId), from: state.stage, to: stage, ...(reason ? { reason } : {}), changedAt: now } }];
    }
    case 'LinkIdentity': {
      const { identity } = command.data;
      const atSource = state.identities.find((i) => i.source === identity.source);
      if (atSource?.externalId === identity.externalId) return [];
      if (atSource) throw new ConflictError(`contact ${contactId} already has identity ${atSource.externalId} at ${identity.source}`);
      return [{ type: 'ContactIdentityLinked', data: { ...ids(contactId), ...identity } }];
    }
    case 'UnlinkIdentity': {
      const { identity } = command.data;
      const linked = state.identities.some((i) => i.source === identity.source && i.externalId === identity.externalId);
      return linked ? [{ type: 'ContactIdentityUnlinked', data: { ...ids(contactId), ...identity } }] : [];
    }
    case 'GiveConsent':
      return consentEvents(state, contactId, command.data.now, [command.data.consent]);
    case 'WithdrawConsent': {
      const { consent, now } = command.data;
      if (!state.consents.includes(consentKey(consent))) return [];
      return [{ type: 'ContactConsentWithdrawn', data: { ...ids(contactId), ...consent, at: now } }];
    }
    case 'Unsubscribe': {
      const { channel, source, now } = command.data;
      return state.consents
        .map((key) => key.split(':') as [ContactChannel, ConsentPurpose])
        .filter(([c]) => channel === undefined || c === channel)
        .map(([c, purpose]): ContactEvent => ({ type: 'ContactConsentWithdrawn', data: { ...ids(contactId), channel: c, purpose, source, at: now } }));
    }
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
};

export const contactsDecider: Decider<ContactState, ContactCommand, ContactEvent> = { initialState, evolve, decide };
