import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One event of a customer's timeline: the `customer_timeline` expression of the timeline query (customer-view.sections.ts). */
@Entity({ name: 'customer_timeline', synchronize: false })
export class TimelineRow {
  @PrimaryColumn('uuid', { name: 'event_id' }) eventId!: string;
  @Column('text') type!: string;
  @Column('text') channel!: string;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt!: Date;
  /** numeric stays text: exact. */
  @Column('numeric') position!: string;
  @Column('jsonb') data!: Record<string, unknown>;
}

export const customerViewEntities = [TimelineRow];
