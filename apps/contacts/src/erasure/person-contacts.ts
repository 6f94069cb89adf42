import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { fold, streamId, type ContactEvent, type RecordedEvent } from '@clientela/contracts';
import { StreamNotFoundError, type EventStore } from '@clientela/event-store';
import { EVENT_STORE, PG_POOL } from '@clientela/service-kit';
import { LEADS_PROJECTION } from '../leads/leads.projection';
import { mergeDecider, type MergeState } from '../merge/merge.decider';
import { erasureGroupOf } from './erasure.decider';

/** The contacts that are one person, as their streams say, and the leads converted into them. */
export interface PersonContacts {
  /** The live contact the one asked for counts as (itself unless merged). */
  survivor: string;
  /** The survivor first, then every contact merged into it. */
  group: string[];
  leadIds: string[];
  /** The contact streams read, by contact id. */
  streams: Map<string, RecordedEvent[]>;
  state: MergeState;
}

/** A merge chain is short; this bounds a cycle a corrupted history could make. */
const MAX_CHAIN = 100;

/**
 * Who a request about one contact is about, for erasure and export: a merge says its contacts are
 * one person, so it is the survivor the contact counts as and every contact merged into it, read
 * from their streams (never a lagging read model), plus the leads converted into them.
 */
@Injectable()
export class PersonContactsReader {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async read(contactId: string): Promise<PersonContacts> {
    const streams = new Map<string, RecordedEvent[]>();
    let survivor = contactId;
    for (let step = 0; step < MAX_CHAIN; step++) {
      streams.set(survivor, await this.stream(survivor));
      const contact = foldStreams(streams).contacts[survivor];
      if (contact?.status !== 'active' || contact.mergedInto === null || streams.has(contact.mergedInto)) break;
      survivor = contact.mergedInto;
    }
    for (const member of erasureGroupOf(foldStreams(streams), survivor)) if (!streams.has(member)) streams.set(member, await this.stream(member));
    const state = foldStreams(streams);
    const group = erasureGroupOf(state, survivor);
    return { survivor, group, leadIds: await this.leadsConvertedInto(group), streams, state };
  }

  async stream(contactId: string): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(streamId('contact', contactId));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  /** From the leads read model: a conversion it has not read yet is missed. */
  private async leadsConvertedInto(contactIds: readonly string[]): Promise<string[]> {
    if (contactIds.length === 0) return [];
    try {
      const { rows } = await this.pool.query<{ id: string }>(`select id::text from proj_${LEADS_PROJECTION}.leads where contact_id = any($1::uuid[]) order by id`, [contactIds]);
      return rows.map((r) => r.id);
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return [];
      throw error;
    }
  }
}

const foldStreams = (streams: Map<string, RecordedEvent[]>): MergeState => fold(mergeDecider, [...streams.values()].flat() as unknown as ContactEvent[]);

/** The data key subject of a lead's own events (they carry no contact: their stream is their subject). */
export const leadSubject = (leadId: string): string => `lead-${leadId}`;
