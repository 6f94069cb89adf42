import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { NotFoundError } from '@clientela/contracts';
import { LocalProjectionWrites } from '@clientela/projections';
import { csvStream, keysetPage, PG_POOL, type Page, type SortKey } from '@clientela/service-kit';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { CUSTOMER_VIEW_PROJECTIONS, customerViewSql, customerViewStampSql, customerViewUnstampedSql, idsSql, targetSql, timelineSql } from './customer-view.sections';
import { TimelineRow } from './customer-view.entities';
import type { TimelineQuery } from './customer-view.dto';

export interface TimelineEvent {
  eventId: string;
  type: string;
  channel: string;
  occurredAt: string;
  position: string;
  data: Record<string, unknown>;
}

/**
 * Answers kept per id asked for and currency, with the stamp they were built under: at most 10,000
 * (about 2 KB each) and 32 M characters in all, since a customer with many deals or leads has a long
 * one. Held in memory only, never stored: an erased person's answer goes stale with the erasure's
 * change counter and is dropped when asked for again or pushed out by others.
 */
const VIEW_CACHE_ENTRIES = 10_000;
const VIEW_CACHE_CHARACTERS = 32 * 1024 * 1024;

/**
 * How long a held answer is trusted on this process's own knowledge (`LocalProjectionWrites`: the
 * view's five projections all written here, none of them written since its stamp was read) before the
 * stamp is read again. Bounded because a runner whose lease connection was cut without its knowing still
 * counts as the writer here while another replica has taken over.
 */
const LOCALLY_TRUSTED_MS = 1_000;

interface HeldAnswer {
  stamp: string;
  tag: string;
  answer: string;
  /** `LocalProjectionWrites.clock` of the view's projections, read before the stamp last was; undefined when they are not all written here. */
  clock: number | undefined;
  /** When the stamp last was read and found the same (ms since the epoch). */
  checkedAt: number;
}

/**
 * The view as answered: its JSON text and its entity tag, or `unchanged` when the tag the client
 * holds (If-None-Match) is still the one. No tag when the read models could not give a stamp.
 */
export type CustomerViewAnswer = { unchanged: false; answer: string; tag: string | undefined } | { unchanged: true; tag: string };

/**
 * A weak entity tag of one answer: the stamp it was built under, with what else shapes it (the id
 * asked for, which a merged contact's answer names, and the currency of its scores).
 */
const viewTag = (stamp: string, id: string, currency: string): string => `W/"${hash('sha1', `${stamp}|${id}|${currency}`, 'base64url')}"`;

/** Whether an If-None-Match header names the tag (weak comparison, RFC 9110 §13.1.2); `*` is not matched here. */
const namesTag = (ifNoneMatch: string, tag: string): boolean => {
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => opaque(t) === opaque(tag));
};

/**
 * What PostgreSQL says of a stamp read while a copy predates it (no `customer_changes` table until
 * the copy of the projection's new version is swapped in; no `generation` before registry migration 6).
 */
const UNSTAMPED_COPY = new Set(['42P01', '42703']);
const predatesStamp = (error: unknown): boolean => UNSTAMPED_COPY.has((error as { code?: unknown })?.code as string);

const TIMELINE_SORTS: Record<string, SortKey> = { occurredAt: { expression: 't.occurred_at' } };
const CSV_PAGE = 1_000;

const timelineEvent = (t: TimelineRow): TimelineEvent => ({ eventId: t.eventId, type: t.type, channel: t.channel, occurredAt: t.occurredAt.toISOString(), position: t.position, data: t.data });

@Injectable()
export class CustomerViewQueries {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @InjectDataSource() private readonly db: DataSource,
    private readonly localWrites: LocalProjectionWrites,
  ) {}

  private readonly answers = new LRUCache<string, HeldAnswer>({
    max: VIEW_CACHE_ENTRIES,
    maxSize: VIEW_CACHE_CHARACTERS,
    // An answer longer than the whole budget is not kept (set() passes over it).
    sizeCalculation: (held) => held.stamp.length + held.tag.length + held.answer.length,
  });

  /**
   * The single customer view as the JSON text of the answer: one statement (a prepared one, planned once
   * per connection) of key lookups in the read models, over the survivor the id counts as and the
   * contacts merged into it, with the stamp of what it was built from. When an answer is held here, the
   * stamp alone is read first: the same stamp, the same answer. So is it for a conditional request
   * (`ifNoneMatch`): when the tag the client holds is still the one, nothing more is read. When this
   * process writes all five read models and none has been written since the stamp was read, not even
   * the stamp is (for a second at most), unless the request waited for its writes (`waited`).
   */
  async view(id: string, currency = DEFAULT_CURRENCY, ifNoneMatch?: string, waited = false): Promise<CustomerViewAnswer> {
    try {
      return await this.stampedView(id, currency, ifNoneMatch, waited);
    } catch (error) {
      if (!predatesStamp(error)) throw error;
      // Answered as before the stamps: built every time, with no tag, until the copies have them.
      const { rows } = await this.pool.query<{ answer: string | null }>({ name: 'analytics-customer-view-unstamped', text: customerViewUnstampedSql, values: [id, currency] });
      if (!rows[0].answer) throw new NotFoundError(`customer ${id} is not known to analytics`);
      return { unchanged: false, answer: rows[0].answer, tag: undefined };
    }
  }

  private async stampedView(id: string, currency: string, ifNoneMatch: string | undefined, waited: boolean): Promise<CustomerViewAnswer> {
    const key = `${id}|${currency}`;
    const held = this.answers.get(key);
    // If-None-Match: * asks whether the customer is known at all.
    const anyTag = ifNoneMatch?.trim() === '*';
    const conditional = ifNoneMatch !== undefined && !anyTag;
    // Read before any statement: a transaction of the read models that begins after this moves it.
    const clock = this.localWrites.clock(CUSTOMER_VIEW_PROJECTIONS);
    const now = Date.now();
    if (held && !waited && clock !== undefined && held.clock === clock && now - held.checkedAt < LOCALLY_TRUSTED_MS) {
      return this.heldAnswer(held, anyTag, conditional ? ifNoneMatch : undefined);
    }
    if (held || conditional) {
      const { rows } = await this.pool.query<{ stamp: string | null }>({ name: 'analytics-customer-view-stamp', text: customerViewStampSql, values: [id] });
      const { stamp } = rows[0];
      if (held && stamp === held.stamp) {
        held.clock = clock;
        held.checkedAt = now;
        return this.heldAnswer(held, anyTag, conditional ? ifNoneMatch : undefined);
      }
      const tag = stamp === null ? undefined : viewTag(stamp, id, currency);
      if (tag && conditional && namesTag(ifNoneMatch, tag)) return { unchanged: true, tag };
    }
    const { rows } = await this.pool.query<{ stamp: string | null; answer: string | null }>({ name: 'analytics-customer-view', text: customerViewSql, values: [id, currency] });
    const { stamp, answer } = rows[0];
    if (!answer) {
      this.answers.delete(key);
      throw new NotFoundError(`customer ${id} is not known to analytics`);
    }
    const tag = stamp ? viewTag(stamp, id, currency) : undefined;
    if (stamp && tag) this.answers.set(key, { stamp, tag, answer, clock, checkedAt: now });
    else this.answers.delete(key);
    if (tag && anyTag) return { unchanged: true, tag };
    return { unchanged: false, answer, tag };
  }

  /** A held answer that is still the one: 304 for `*` or for the tag the client holds, else the answer. */
  private heldAnswer(held: HeldAnswer, anyTag: boolean, ifNoneMatch: string | undefined): CustomerViewAnswer {
    if (anyTag || (ifNoneMatch !== undefined && namesTag(ifNoneMatch, held.tag))) return { unchanged: true, tag: held.tag };
    return { unchanged: false, answer: held.answer, tag: held.tag };
  }

  async timeline(id: string, query: TimelineQuery): Promise<Page<TimelineEvent>> {
    const page = await this.timelinePage(id, query, query.cursor, query.limit);
    return { items: page.items.map(timelineEvent), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  timelineCsv(id: string, query: TimelineQuery): Readable {
    return csvStream(
      ['event_id', 'occurred_at', 'type', 'channel', 'position', 'data'],
      async (cursor) => {
        const page = await this.timelinePage(id, query, cursor, CSV_PAGE);
        return { items: page.items.map(timelineEvent), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (e) => [e.eventId, e.occurredAt, e.type, e.channel, e.position, e.data],
    );
  }

  private timelinePage(id: string, query: TimelineQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<TimelineRow>> {
    const q = this.db
      .getRepository(TimelineRow)
      .createQueryBuilder('t')
      // The merge mapping, then the union of every context's events of those contacts.
      .addCommonTableExpression(targetSql(':customer'), 'target')
      .addCommonTableExpression(idsSql, 'ids')
      .addCommonTableExpression(timelineSql, 'customer_timeline')
      .setParameters({ customer: id });
    if (query.type?.length) q.andWhere('t.type in (:...types)', { types: query.type });
    if (query.channel?.length) q.andWhere('t.channel in (:...channels)', { channels: query.channel });
    if (query.from) q.andWhere('t.occurred_at >= :from', { from: query.from });
    if (query.to) q.andWhere('t.occurred_at < :to', { to: query.to });
    return keysetPage(q, { sort: query.sort ?? 'occurredAt', sorts: TIMELINE_SORTS, idExpression: 't.position', cursor, limit });
  }
}
