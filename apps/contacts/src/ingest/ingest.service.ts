import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import {
  ConflictError,
  ingestKey,
  InvalidIngestMessageError,
  parseIngestMessage,
  type FieldViolation,
  type IngestMessage,
  type Position,
} from '@clientela/contracts';
import { IdempotencyConflictError, InvalidStreamAppendError, WrongExpectedRevisionError, type EventStore } from '@clientela/event-store';
import { SubjectErasedError } from '@clientela/personal-data';
import { EVENT_STORE, PG_POOL, SERVICE_INFRASTRUCTURE, type ServiceInfrastructure } from '@clientela/service-kit';
import { contactSourceKey, keyedIdentifiersOf, type IdentityRules } from './identifiers';
import { IdentifierClaims } from './identifier-claims';
import { planIngest, type Claim, type IngestItem, type IngestPlan } from './resolution';

export const IDENTITY_RULES = Symbol('clientela:identity-rules');

/** Up to this many messages per request (and per planned append). */
export const MAX_INGEST_ITEMS = 1_000;
/** Appends that lost a race (a claim taken meanwhile) are planned again, this many times in all. */
const MAX_ATTEMPTS = 20;

export type IngestItemResult =
  | { index: number; status: 'accepted'; contactId: string; created: boolean; eventId: string }
  | { index: number; status: 'duplicate'; contactId?: string; eventId?: string }
  | { index: number; status: 'rejected'; code: string; detail: string; violations: FieldViolation[] };

export interface IngestOutcome {
  results: IngestItemResult[];
  /** The greatest position written (absent when nothing was): X-Min-Position for the read models. */
  position?: Position;
}

const rejected = (index: number, code: string, detail: string, violations: FieldViolation[]): IngestItemResult => ({ index, status: 'rejected', code, detail, violations });

/** The refusal of a message about an erased person: it names the kinds of identifier, never their values. */
const erasedCustomer = (index: number, kinds: readonly string[]): IngestItemResult =>
  rejected(index, 'subject_erased', 'the customer this message names was erased: nothing about them is stored again', [
    { path: 'customer', constraints: { erased: `the ${[...new Set(kinds)].join(' and ') || 'customer'} of an erased person` } },
  ]);

/**
 * Ingest: resolves each message to a contact and writes the whole batch as one atomic append to
 * many streams (claims, new contacts, order and activity events, likely duplicates). A message sent
 * twice is one event (its ids derive from its source and id); two writers resolving the same new
 * customer meet at its claim streams, and the loser plans again with what the winner wrote.
 */
@Injectable()
export class IngestService {
  private readonly claims: IdentifierClaims;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(IDENTITY_RULES) private readonly rules: IdentityRules,
    @Inject(SERVICE_INFRASTRUCTURE) private readonly infra: ServiceInfrastructure,
  ) {
    this.claims = new IdentifierClaims(pool, store);
  }

  /** Raw items (HTTP): each checked against the ingest contract, the valid ones ingested. */
  async ingestRaw(raw: readonly unknown[]): Promise<IngestOutcome> {
    const results: IngestItemResult[] = [];
    const valid: IngestItem[] = [];
    raw.forEach((value, index) => {
      try {
        valid.push({ index, message: parseIngestMessage(value) });
      } catch (error) {
        if (!(error instanceof InvalidIngestMessageError)) throw error;
        results.push(rejected(index, error.code, error.message, error.violations));
      }
    });
    const outcome = await this.ingest(valid);
    return { ...outcome, results: [...results, ...outcome.results].sort((a, b) => a.index - b.index) };
  }

  /** Messages already checked (Kafka's decoder did it). */
  async ingest(items: readonly IngestItem[]): Promise<IngestOutcome> {
    const results: IngestItemResult[] = [];
    const firstOf = new Map<string, number>();
    const repeats: Array<{ index: number; first: number }> = [];
    let pending: IngestItem[] = [];
    for (const item of items) {
      const key = ingestKey(item.message);
      const first = firstOf.get(key);
      if (first === undefined) {
        firstOf.set(key, item.index);
        pending.push(item);
      } else repeats.push({ index: item.index, first });
    }

    let position: Position | undefined;
    for (let attempt = 1; pending.length > 0; attempt++) {
      await this.loadClaims(pending);
      pending = await this.withoutErased(pending, results);
      if (pending.length === 0) break;
      const survivors = await this.survivorsOf(pending);
      const plan = planIngest(pending, this.claims.get, this.rules, (id) => survivors.get(id) ?? id);
      for (const item of plan.items) {
        if (item.outcome === 'rejected') results.push(rejected(item.index, 'unresolvable_customer', 'the message cannot be attributed to a customer', item.violations));
      }
      try {
        const written = plan.appends.length === 0 ? undefined : await this.store.appendToStreams(plan.appends);
        this.claims.remember(plan.claims);
        if (written) position = written.position;
        for (const item of plan.items) {
          if (item.outcome !== 'resolved') continue;
          const duplicate = item.append >= 0 && written !== undefined && written.streams[item.append].duplicate;
          results.push(duplicate ? { index: item.index, status: 'duplicate', contactId: item.contactId, eventId: item.eventId } : { index: item.index, status: 'accepted', contactId: item.contactId, created: item.created, eventId: item.eventId });
        }
        break;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS) throw new ConflictError(`ingest: identifiers kept changing under ${MAX_ATTEMPTS} attempts; send the batch again`);
        pending = await this.recover(error, plan, pending, results);
      }
    }

    const byIndex = new Map(results.map((r) => [r.index, r]));
    for (const { index, first } of repeats) {
      const original = byIndex.get(first);
      results.push(original && original.status !== 'rejected' ? { index, status: 'duplicate', contactId: original.contactId, eventId: original.eventId } : { ...(original as IngestItemResult), index });
    }
    return { results: results.sort((a, b) => a.index - b.index), ...(position !== undefined ? { position } : {}) };
  }

  /**
   * What `ingest` would do with these items, writing nothing (an import's dry run): each resolved
   * (created or matched) or rejected. `written` holds the claims earlier previews of the same run
   * would have made, so a later batch sees the contacts an earlier one would create.
   */
  async preview(items: readonly IngestItem[], written: Map<string, Claim>): Promise<IngestItemResult[]> {
    await this.loadClaims(items);
    const survivors = await this.survivorsOf(items);
    const plan = planIngest(items, (key) => written.get(key) ?? this.claims.get(key), this.rules, (id) => survivors.get(id) ?? id);
    for (const [key, claim] of plan.claims) written.set(key, claim);
    return plan.items.map((item) =>
      item.outcome === 'resolved'
        ? { index: item.index, status: 'accepted', contactId: item.contactId, created: item.created, eventId: item.eventId }
        : rejected(item.index, 'unresolvable_customer', 'the row cannot be attributed to one customer', item.violations),
    );
  }

  /** The claims of every identifier of the batch, then of "has an identity in this source" for the contacts they name. */
  private async loadClaims(items: readonly IngestItem[]): Promise<void> {
    const identified = items.map(({ message }) => ({ message, keys: keyedIdentifiersOf(message.source, message.customer, this.rules).keyed.map((k) => k.key) }));
    await this.claims.load(identified.flatMap((i) => i.keys));
    const sourceKeys = identified.flatMap(({ message, keys }) =>
      message.customer.externalId === undefined ? [] : keys.flatMap((key) => (this.claims.get(key)?.contactIds ?? []).map((contactId) => contactSourceKey(contactId, message.source))),
    );
    await this.claims.load(sourceKeys);
  }

  /**
   * Messages whose identifiers name an erased person are refused, each on its own, and never
   * attributed to anyone: an erased profile is not built again (their claims stay, holding no
   * personal value). The data key table decides, not a read model. An erasure between this look and
   * the append is caught there (SubjectErasedError, in `recover`).
   */
  private async withoutErased(items: IngestItem[], results: IngestItemResult[]): Promise<IngestItem[]> {
    const keys = this.infra.personalData?.keys;
    if (!keys) return items;
    const named = items.map((item) => ({
      item,
      named: keyedIdentifiersOf(item.message.source, item.message.customer, this.rules).keyed.flatMap(({ identifier, key }) =>
        (this.claims.get(key)?.contactIds ?? []).map((contactId) => ({ contactId, kind: identifier.kind })),
      ),
    }));
    const erased = await keys.erasedAmong(named.flatMap((n) => n.named.map((c) => c.contactId)));
    if (erased.size === 0) return items;
    return named.flatMap(({ item, named: contacts }) => {
      const hits = contacts.filter((c) => erased.has(c.contactId));
      if (hits.length === 0) return [item];
      results.push(erasedCustomer(item.index, hits.map((h) => h.kind)));
      return [];
    });
  }

  /**
   * The survivors of the merged contacts the batch's identifiers name, from the contacts read model.
   * Only used to keep merged contacts from being reported as duplicates of each other: a lagging
   * answer costs at most one such report, never a wrong attribution.
   */
  private async survivorsOf(items: readonly IngestItem[]): Promise<Map<string, string>> {
    const contactIds = new Set(
      items.flatMap(({ message }) => keyedIdentifiersOf(message.source, message.customer, this.rules).keyed.flatMap(({ key }) => this.claims.get(key)?.contactIds ?? [])),
    );
    if (contactIds.size === 0) return new Map();
    try {
      const { rows } = await this.pool.query<{ id: string; merged_into: string }>(
        'select id::text, merged_into::text from proj_contacts.contacts where merged_into is not null and id = any($1::uuid[])',
        [[...contactIds]],
      );
      return new Map(rows.map((r) => [r.id, r.merged_into]));
    } catch (error) {
      // Before the contacts projection made its table there is no merge to know of.
      if ((error as { code?: string }).code === '42P01') return new Map();
      throw error;
    }
  }

  /**
   * What to do after a refused append: reload the claim streams that moved; a message whose own
   * event is already stored (with other content) is a duplicate, one whose order already exists
   * or whose event the store refuses is rejected; the rest are planned again.
   */
  private async recover(error: unknown, plan: IngestPlan, pending: IngestItem[], results: IngestItemResult[]): Promise<IngestItem[]> {
    const ownerOf = (appendIndex: number) => plan.items.find((i) => i.outcome === 'resolved' && i.append === appendIndex);
    const drop = new Set<number>();
    if (error instanceof WrongExpectedRevisionError) {
      const conflicts = error.conflicts.length > 0 ? error.conflicts : [{ appendIndex: -1, streamId: error.streamId }];
      for (const { appendIndex, streamId } of conflicts) {
        const owner = ownerOf(appendIndex);
        if (streamId.startsWith('identifier-')) await this.claims.reload(streamId.slice('identifier-'.length));
        else if (owner && streamId.startsWith('order-')) {
          drop.add(owner.index);
          results.push(rejected(owner.index, 'order_exists', 'this order was already placed by another message', [{ path: 'data.orderId', constraints: { unique: 'an order is placed once' } }]));
        } else await this.reloadAll(pending);
      }
    } else if (error instanceof IdempotencyConflictError && error.appendIndex !== undefined) {
      const owner = ownerOf(error.appendIndex);
      if (owner && owner.outcome === 'resolved') {
        drop.add(owner.index);
        results.push({ index: owner.index, status: 'duplicate', contactId: owner.contactId, eventId: owner.eventId });
      } else await this.reloadAll(pending);
    } else if (error instanceof SubjectErasedError) {
      const erasedItems = plan.items.filter((i) => i.outcome === 'resolved' && i.contactId === error.subject);
      if (erasedItems.length === 0) throw error;
      for (const item of erasedItems) {
        drop.add(item.index);
        results.push(erasedCustomer(item.index, []));
      }
    } else if (error instanceof InvalidStreamAppendError) {
      const owner = ownerOf(error.appendIndex);
      if (!owner) throw error;
      drop.add(owner.index);
      results.push(rejected(owner.index, error.reason, error.message, error.violations));
    } else throw error;
    const rejectedNow = new Set(plan.items.filter((i) => i.outcome === 'rejected').map((i) => i.index));
    return pending.filter((item) => !drop.has(item.index) && !rejectedNow.has(item.index));
  }

  /** Reads every claim stream of these messages: after a refusal the cache cannot explain. */
  private async reloadAll(items: readonly IngestItem[]): Promise<void> {
    const keys = new Set(items.flatMap(({ message }) => keyedIdentifiersOf(message.source, message.customer, this.rules).keyed.map(({ key }) => key)));
    for (const key of keys) await this.claims.reload(key);
  }
}

export type { IngestMessage };
