import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { NotFoundError } from '@clientela/contracts';
import { csvStream, keysetPage, PG_POOL, type Page, type SortKey } from '@clientela/service-kit';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { customerViewSql, customerViewStampSql, idsSql, targetSql, timelineSql } from './customer-view.sections';
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

const TIMELINE_SORTS: Record<string, SortKey> = { occurredAt: { expression: 't.occurred_at' } };
const CSV_PAGE = 1_000;

const timelineEvent = (t: TimelineRow): TimelineEvent => ({ eventId: t.eventId, type: t.type, channel: t.channel, occurredAt: t.occurredAt.toISOString(), position: t.position, data: t.data });

@Injectable()
export class CustomerViewQueries {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  private readonly answers = new LRUCache<string, { stamp: string; answer: string }>({
    max: VIEW_CACHE_ENTRIES,
    maxSize: VIEW_CACHE_CHARACTERS,
    // An answer longer than the whole budget is not kept (set() passes over it).
    sizeCalculation: (held) => held.stamp.length + held.answer.length,
  });

  /**
   * The single customer view as the JSON text of the answer: one statement (a prepared one, planned once
   * per connection) of key lookups in the read models, over the survivor the id counts as and the
   * contacts merged into it, with the stamp of what it was built from. When an answer is held here, the
   * stamp alone is read first: the same stamp, the same answer.
   */
  async view(id: string, currency = DEFAULT_CURRENCY): Promise<string> {
    const key = `${id}|${currency}`;
    const held = this.answers.get(key);
    if (held) {
      const { rows } = await this.pool.query<{ stamp: string | null }>({ name: 'analytics-customer-view-stamp', text: customerViewStampSql, values: [id] });
      if (rows[0].stamp === held.stamp) return held.answer;
    }
    const { rows } = await this.pool.query<{ stamp: string | null; answer: string | null }>({ name: 'analytics-customer-view', text: customerViewSql, values: [id, currency] });
    const { stamp, answer } = rows[0];
    if (!answer) {
      this.answers.delete(key);
      throw new NotFoundError(`customer ${id} is not known to analytics`);
    }
    if (stamp) this.answers.set(key, { stamp, answer });
    else this.answers.delete(key);
    return answer;
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
