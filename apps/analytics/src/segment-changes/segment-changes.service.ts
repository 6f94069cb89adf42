import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RfmSegment } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { schemaOf } from '@clientela/projections';
import { EVENT_STORE, SERVICE_INFRASTRUCTURE, type ServiceInfrastructure } from '@clientela/service-kit';
import { appendDailyChanges, runDaily } from '../daily-run';
import { rfmSql } from '../rfm/rfm.sql';
import { planSegmentChanges, type SegmentState } from './segment-changes';
import { SEGMENTS_PROJECTION } from './segments.projection';

export interface SegmentChangesRun {
  asOf: string;
  currency: string;
  /** Customers whose segment differed from the one last published. */
  changed: number;
  /** Of those, changes a run of the same day had already appended. */
  duplicates: number;
  /** Send as X-Min-Position to read the run's events; absent when nothing was appended. */
  position?: string;
}

const SEGMENTS_SCHEMA = schemaOf({ name: SEGMENTS_PROJECTION });
export const DAILY_CURRENCY = 'USD';

/** Each customer's segment on the day beside the one last published and its stream's revision. */
const segmentStatesSql = `
  select r.customer_id, r.segment, r.recency_score, r.frequency_score, r.monetary_score, c.segment as published, s.revision::int as revision
    from (${rfmSql('asOf', 'currency')}) r
    left join ${SEGMENTS_SCHEMA}.current_segments c on c.customer_id = r.customer_id and c.currency = :currency
    left join ${SEGMENTS_SCHEMA}.segment_streams s on s.customer_id = r.customer_id`;

/**
 * Publishes `CustomerSegmentChanged` for every customer whose RFM segment on a day differs from the one
 * last published, so campaigns can target and trigger on segments without computing RFM themselves.
 * Idempotent: a day's events have ids derived from customer, currency and day, and each append
 * expects the stream's revision the segments read model knows (a lagging read model makes the run fail
 * with 409 and be retried, never publish a stale `from`).
 */
@Injectable()
export class SegmentChangesService implements OnApplicationBootstrap, OnModuleDestroy {
  private stopDaily: (() => void) | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SERVICE_INFRASTRUCTURE) private readonly infra: ServiceInfrastructure,
  ) {}

  async publish(asOf: string, currency: string): Promise<SegmentChangesRun> {
    const states = await this.db
      .createQueryBuilder()
      .addCommonTableExpression(segmentStatesSql, 'segment_state')
      .select('st.customer_id', 'customerId')
      .addSelect('st.segment', 'segment')
      .addSelect('st.recency_score', 'recencyScore')
      .addSelect('st.frequency_score', 'frequencyScore')
      .addSelect('st.monetary_score', 'monetaryScore')
      .addSelect('st.published', 'published')
      .addSelect('st.revision', 'revision')
      .from('segment_state', 'st')
      .where('st.published is distinct from st.segment')
      .orderBy('st.customer_id')
      .setParameters({ asOf, currency })
      .getRawMany<Omit<SegmentState, 'published' | 'revision'> & { published: RfmSegment | null; revision: number | null }>();
    const changes = planSegmentChanges(
      states.map((s) => ({ ...s, published: s.published ?? undefined, revision: s.revision ?? undefined })),
      asOf,
      currency,
    );
    const { duplicates, position } = await appendDailyChanges(this.store, changes.map((c) => ({ ...c, events: [c.event] })), asOf);
    return { asOf, currency, changed: changes.length, duplicates, ...(position !== undefined ? { position } : {}) };
  }

  onApplicationBootstrap(): void {
    this.stopDaily = runDaily('segment changes', (day) => this.publish(day, DAILY_CURRENCY), this.infra.logger);
  }

  onModuleDestroy(): void {
    this.stopDaily?.();
  }
}
