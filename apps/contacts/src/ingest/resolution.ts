import {
  DECIMAL_AMOUNT,
  ingestKey,
  nameBasedUuid,
  TOKEN,
  type FieldViolation,
  type IngestCustomer,
  type IngestMessage,
  type LifecycleStage,
  type NewEvent,
  type StreamId,
} from '@clientela/contracts';
import type { StreamAppend as StoreStreamAppend } from '@clientela/event-store';
import { contactSourceKey, keyedIdentifiersOf, type Identifier, type IdentityRules } from './identifiers';
import type { DuplicateReason } from './ingest.events';


/** A StreamAppend the planner still adds events to. */
export type StreamAppend = StoreStreamAppend & { events: NewEvent[] };

/** Who claims an identifier, as the claim stream says: its contacts in order and its revision (-1: none). */
export interface Claim {
  contactIds: readonly string[];
  revision: number;
}

export type ClaimLookup = (key: string) => Claim | undefined;
/** The live contact a contact counts as (its survivor when merged, itself otherwise). */
export type SurvivorLookup = (contactId: string) => string;

/**
 * A contact row of a CSV import, resolved exactly as an ingest message: a contact it creates is
 * registered with the row's profile, tags and custom values; a contact it matches takes its
 * unclaimed identifiers as with ingest, and nothing else (an import never overwrites what a
 * contact has). Its id is the row's key, so a row imported again is the same message.
 */
export interface ImportedContact {
  type: 'ContactImported';
  id: string;
  source: string;
  occurredAt: string;
  customer: IngestCustomer;
  data: {
    profile: Record<string, unknown>;
    lifecycleStage?: LifecycleStage;
    tags: string[];
    customFields: Record<string, string | number | boolean>;
  };
}

export interface IngestItem {
  index: number;
  message: IngestMessage | ImportedContact;
}

export type ItemPlan =
  /** `append` is -1 for an imported contact, which has no event of its own (`eventId`: its registration, or empty). */
  | { index: number; outcome: 'resolved'; contactId: string; created: boolean; eventId: string; append: number }
  | { index: number; outcome: 'rejected'; violations: FieldViolation[] };

export interface LikelyDuplicate {
  contactId: string;
  otherContactId: string;
  reason: DuplicateReason;
}

export interface IngestPlan {
  appends: StreamAppend[];
  items: ItemPlan[];
  duplicates: LikelyDuplicate[];
  /** The claims as they stand once the plan is written, for the lookup cache. */
  claims: Map<string, Claim>;
}

const NS = '0b8c3f6e-51d4-4a8e-b6f7-2c9d0e1a5f34';
const idOf = (name: string): string => nameBasedUuid(name, NS);

/** The deterministic ids that make a message sent twice one event. */
export const messageEventId = (message: { source: string; id: string }, part = 'event'): string => idOf(`${part}|${ingestKey(message)}`);
export const contactIdFor = (message: { source: string; id: string }): string => idOf(`contact|${ingestKey(message)}`);
export const orderStreamOf = (source: string, orderId: string): StreamId => `order-${idOf(`order|${source}|${orderId}`)}` as StreamId;

/** An exact decimal string of an amount the contract allows 4 decimals for; undefined when it cannot be one. */
export const decimalOf = (amount: number): string | undefined => {
  const text = amount.toFixed(4).replace(/\.?0+$/, '');
  return DECIMAL_AMOUNT.test(text) ? text : undefined;
};

const reasonOf = (kind: Identifier['kind'], conflicting: boolean): DuplicateReason =>
  conflicting ? (kind === 'email' ? 'conflicting_email' : kind === 'phone' ? 'conflicting_phone' : 'conflicting_external_id') : kind === 'phone' ? 'same_phone' : 'same_email';

const refusal = (path: string, rule: string, message: string): FieldViolation => ({ path, constraints: { [rule]: message } });

/** The customer event of a message (orders and refunds to `order-`, the rest to `activity-`), or its violations. */
const customerEventOf = (message: IngestMessage, contactId: string): { streamId: StreamId; type: string; data: Record<string, unknown>; expected: 'no_stream' | 'any' } | FieldViolation[] => {
  const base = { customerId: contactId, source: message.source, sourceEventId: message.id, occurredAt: message.occurredAt };
  const activity = `activity-${contactId}` as StreamId;
  switch (message.type) {
    case 'OrderPlaced': {
      const d = message.data;
      const amount = decimalOf(d.amount);
      const lines = d.lines.map((line) => ({ ...line, unitPrice: decimalOf(line.unitPrice) }));
      const violations = [
        ...(amount === undefined ? [refusal('data.amount', 'decimal', 'amount must have at most 12 digits before the point')] : []),
        ...lines.flatMap((line, i) => (line.unitPrice === undefined ? [refusal(`data.lines.${i}.unitPrice`, 'decimal', 'unitPrice must have at most 12 digits before the point')] : [])),
      ];
      if (violations.length > 0) return violations;
      // A new order stream: a second OrderPlaced for the same order (another message id) is refused.
      return { streamId: orderStreamOf(message.source, d.orderId), type: 'CustomerOrderPlaced', data: { ...base, orderId: d.orderId, lines, amount, currency: d.currency }, expected: 'no_stream' };
    }
    case 'OrderRefunded': {
      const d = message.data;
      const amount = decimalOf(d.amount);
      if (amount === undefined) return [refusal('data.amount', 'decimal', 'amount must have at most 12 digits before the point')];
      return { streamId: orderStreamOf(message.source, d.orderId), type: 'CustomerOrderRefunded', data: { ...base, ...d, amount }, expected: 'any' };
    }
    case 'EmailOpened':
      return { streamId: activity, type: 'CustomerEmailOpened', data: { ...base, ...message.data }, expected: 'any' };
    case 'EmailClicked':
      return { streamId: activity, type: 'CustomerEmailClicked', data: { ...base, ...message.data }, expected: 'any' };
    case 'WebPageViewed':
      return { streamId: activity, type: 'CustomerWebPageViewed', data: { ...base, ...message.data }, expected: 'any' };
    case 'CallLogged':
      return { streamId: activity, type: 'CustomerCallLogged', data: { ...base, ...message.data }, expected: 'any' };
    case 'SocialMentioned':
      return { streamId: activity, type: 'CustomerSocialMentioned', data: { ...base, ...message.data }, expected: 'any' };
    case 'ConsentChanged': {
      const d = message.data;
      return {
        streamId: `contact-${contactId}` as StreamId,
        type: d.granted ? 'ContactConsentGiven' : 'ContactConsentWithdrawn',
        data: { contactId, customerId: contactId, channel: d.channel, purpose: d.purpose, source: message.source, at: message.occurredAt },
        expected: 'any',
      };
    }
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
};

/**
 * Resolves a batch of ingest messages to contacts and plans one atomic append for all of it.
 * Pure: what is known about identifiers comes in through `lookup` (it must know the claims of
 * every identifier of the batch, and of "contact has an identity in source" for the contacts
 * those point at). Rules, in order:
 * - identifiers are normalised; junk and invalid ones never match; one claimed by more contacts
 *   than `sharedLimit` stops matching;
 * - external id within its source, then email, then phone: the first that names a contact wins;
 * - an email or phone whose contacts all already hold another external id of the message's
 *   source is someone else's: the message gets a new contact, and the pair is a likely duplicate;
 * - identifiers pointing at another contact than the winner are not touched; the pair is reported;
 * - the winner (or the new contact) claims the message's unclaimed identifiers;
 * - claims are never moved by a merge: the event goes to the identifier's owner, which read models
 *   show on its survivor while it is merged (and on itself again after an unmerge); contacts merged
 *   into one another are never reported as likely duplicates.
 * Later messages of the batch see what earlier ones claimed.
 */
export const planIngest = (items: readonly IngestItem[], lookup: ClaimLookup, rules: IdentityRules, survivorOf: SurvivorLookup = (id) => id): IngestPlan => {
  const claims = new Map<string, Claim>();
  const claimOf = (key: string): Claim => claims.get(key) ?? lookup(key) ?? { contactIds: [], revision: -1 };
  const claimAppends = new Map<string, StreamAppend>();
  const contactAppends = new Map<string, StreamAppend>();
  const otherAppends: StreamAppend[] = [];
  const duplicates = new Map<string, LikelyDuplicate>();
  const plans: ItemPlan[] = [];

  const claim = (key: string, contactId: string) => {
    const current = claimOf(key);
    if (current.contactIds.includes(contactId)) return;
    let append = claimAppends.get(key);
    if (!append) {
      append = { streamId: `identifier-${key}` as StreamId, events: [], expectedRevision: current.revision < 0 ? 'no_stream' : current.revision };
      claimAppends.set(key, append);
    }
    // Id and metadata from the claim alone: whichever message makes it, it is the same event.
    append.events.push({ id: idOf(`claim|${key}|${contactId}`), type: 'IdentifierClaimed', data: { contactId, customerId: contactId }, metadata: { source: 'contacts', actor: 'ingest' } });
    claims.set(key, { contactIds: [...current.contactIds, contactId], revision: current.revision + 1 });
  };
  const contactAppend = (contactId: string, created: boolean): StreamAppend => {
    let append = contactAppends.get(contactId);
    if (!append) {
      append = { streamId: `contact-${contactId}` as StreamId, events: [], expectedRevision: created ? 'no_stream' : 'any' };
      contactAppends.set(contactId, append);
    }
    return append;
  };
  const reportPair = (contactId: string, otherContactId: string, reason: DuplicateReason) => {
    // Merged contacts are one customer already.
    if (survivorOf(contactId) === survivorOf(otherContactId)) return;
    const [a, b] = [contactId, otherContactId].sort();
    duplicates.set(`${a}|${b}`, duplicates.get(`${a}|${b}`) ?? { contactId, otherContactId, reason });
  };

  for (const { index, message } of items) {
    if (!TOKEN.test(message.source)) {
      plans.push({ index, outcome: 'rejected', violations: [refusal('source', 'token', 'source must be letters, digits and . _ : / @ + - (no spaces at the ends)')] });
      continue;
    }
    const { keyed, ignored } = keyedIdentifiersOf(message.source, message.customer, rules);
    const usable = keyed.filter(({ key }) => claimOf(key).contactIds.length <= rules.sharedLimit);
    const external = keyed.find(({ identifier }) => identifier.kind === 'external');
    const sourceKeyOf = (contactId: string) => contactSourceKey(contactId, message.source);
    // A contact that already has another external id of this source is not the sender of a message with an unclaimed one.
    const someoneElse = (contactId: string) => external !== undefined && claimOf(external.key).contactIds.length === 0 && claimOf(sourceKeyOf(contactId)).contactIds.length > 0;

    let target: string | undefined;
    let targetKind: Identifier['kind'] | undefined;
    const excluded: Array<{ contactId: string; kind: Identifier['kind'] }> = [];
    for (const { identifier, key } of usable) {
      const candidates = claimOf(key).contactIds;
      const eligible = candidates.filter((c) => !someoneElse(c));
      excluded.push(...candidates.filter((c) => someoneElse(c)).map((contactId) => ({ contactId, kind: identifier.kind })));
      if (eligible.length > 0) {
        target = eligible[0];
        targetKind = identifier.kind;
        break;
      }
    }
    if (target === undefined && usable.length === 0) {
      const why = [
        ...ignored.map((i) => `${i.kind} is ${i.reason === 'junk' ? 'a placeholder or blocked' : 'not valid'}`),
        ...keyed.map(({ identifier }) => `${identifier.kind} is shared by more than ${rules.sharedLimit} contacts`),
      ];
      plans.push({ index, outcome: 'rejected', violations: [refusal('customer', 'identifiable', `no identifier can name one customer: ${why.join('; ')}`)] });
      continue;
    }
    const created = target === undefined;
    const contactId = target ?? contactIdFor(message);
    const built = message.type === 'ContactImported' ? undefined : customerEventOf(message, contactId);
    if (Array.isArray(built)) {
      plans.push({ index, outcome: 'rejected', violations: built });
      continue;
    }

    const eventId = messageEventId(message);
    const metadata = { source: message.source, actor: 'ingest', occurredAt: message.occurredAt, correlationId: eventId, causationId: eventId };
    const imported = message.type === 'ContactImported' ? message.data : undefined;
    if (created) {
      const registered = {
        id: messageEventId(message, 'registered'),
        type: 'ContactRegistered',
        data: {
          contactId,
          customerId: contactId,
          ...imported?.profile,
          lifecycleStage: imported?.lifecycleStage ?? (message.type === 'OrderPlaced' ? 'customer' : 'subscriber'),
          registeredAt: message.occurredAt,
        },
        metadata,
      };
      contactAppend(contactId, true).events.push(registered);
    }
    // A known contact takes the identifiers nobody holds; a new one takes all of its own (sharing
    // those whose holders are someone else, which is how a family email comes to be shared).
    for (const { identifier, key } of keyed) {
      if (!created && claimOf(key).contactIds.length > 0) continue;
      if (identifier.kind === 'external') {
        if (claimOf(sourceKeyOf(contactId)).contactIds.length > 0) continue;
        claim(sourceKeyOf(contactId), contactId);
      }
      claim(key, contactId);
      const linkMetadata = created ? metadata : { source: 'contacts', actor: 'ingest' };
      const linkId = created ? messageEventId(message, `link|${identifier.kind}`) : idOf(`link|${key}|${contactId}`);
      const events = contactAppend(contactId, created).events;
      const primary = created;
      if (identifier.kind === 'external') {
        events.push({ id: linkId, type: 'ContactIdentityLinked', data: { contactId, customerId: contactId, source: identifier.source, externalId: identifier.value }, metadata: linkMetadata });
      } else if (identifier.kind === 'email') {
        events.push({ id: linkId, type: 'ContactEmailAdded', data: { contactId, customerId: contactId, email: identifier.value, primary }, metadata: linkMetadata });
      } else {
        events.push({ id: linkId, type: 'ContactPhoneAdded', data: { contactId, customerId: contactId, phone: identifier.value, primary }, metadata: linkMetadata });
      }
    }
    if (created && imported) {
      const events = contactAppend(contactId, true).events;
      for (const tag of imported.tags) events.push({ id: messageEventId(message, `tag|${tag}`), type: 'ContactTagged', data: { contactId, customerId: contactId, tag }, metadata });
      if (Object.keys(imported.customFields).length > 0) {
        events.push({ id: messageEventId(message, 'custom'), type: 'ContactCustomFieldsChanged', data: { contactId, customerId: contactId, values: imported.customFields }, metadata });
      }
    }
    for (const { contactId: other, kind } of excluded) reportPair(contactId, other, reasonOf(kind, false));
    for (const { identifier, key } of usable) {
      if (identifier.kind === targetKind) continue;
      const holders = claimOf(key).contactIds;
      if (holders.some((h) => survivorOf(h) === survivorOf(contactId)) || holders.length === 0) continue;
      const other = holders.find((c) => !excluded.some((e) => e.contactId === c));
      if (other !== undefined) reportPair(contactId, other, reasonOf(identifier.kind, true));
    }

    if (built === undefined) {
      plans.push({ index, outcome: 'resolved', contactId, created, eventId: created ? messageEventId(message, 'registered') : '', append: -1 });
      continue;
    }
    const event: NewEvent = { id: eventId, type: built.type, data: built.data, metadata };
    // Its own StreamAppend (a stream may appear more than once in a call), so a message sent again is
    // reported duplicate on its own.
    otherAppends.push({ streamId: built.streamId, events: [event], expectedRevision: built.expected });
    const append = otherAppends.length - 1;
    plans.push({ index, outcome: 'resolved', contactId, created, eventId, append });
  }

  const duplicateAppends: StreamAppend[] = [...duplicates.values()].map((pair) => {
    const [a, b] = [pair.contactId, pair.otherContactId].sort();
    return {
      streamId: `contactDuplicate-${idOf(`pair|${a}|${b}`)}` as StreamId,
      events: [{ id: idOf(`pair|${a}|${b}|${pair.reason}`), type: 'ContactDuplicateSuspected', data: { ...pair }, metadata: { source: 'contacts', actor: 'ingest' } }],
      expectedRevision: 'any',
    };
  });
  // Claims first: a stale lookup fails the append there, before anything else is looked at.
  const head = [...claimAppends.values(), ...contactAppends.values()];
  const resolved = plans.map((plan): ItemPlan => (plan.outcome === 'resolved' && plan.append >= 0 ? { ...plan, append: head.length + plan.append } : plan));
  return { appends: [...head, ...otherAppends, ...duplicateAppends], items: resolved, duplicates: [...duplicates.values()], claims };
};
