import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { formatPosition, NotFoundError, streamId, type RecordedEvent } from '@clientela/contracts';
import { StreamNotFoundError, type EventStore } from '@clientela/event-store';
import { postalAddressView, type PostalAddressView } from '../postal-address/postal-address.columns';
import { csvStream, EVENT_STORE, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { CustomFieldDefinitions } from '../custom-fields/custom-field-command';
import { ContactIdentityRow, ContactRow } from './contact.entities';
import type { ListContactsQuery } from './contacts.dto';

export interface ContactView {
  id: string;
  givenName: string | null;
  familyName: string | null;
  language: string | null;
  preferredChannel: string | null;
  address: PostalAddressView;
  ownerId: string | null;
  accountId: string | null;
  lifecycleStage: string;
  /** The first is the primary one. */
  emails: string[];
  phones: string[];
  tags: string[];
  identities: { source: string; externalId: string }[];
  consents: { channel: string; purpose: string; granted: boolean; source: string; changedAt: string }[];
  /** Values of the live custom fields, by key. */
  customFields: Record<string, unknown>;
  registeredAt: string;
  updatedAt: string;
  revision: number;
  /** Set when this contact was merged: the live contact it counts as now (read that one). */
  mergedInto: string | null;
  /** The contacts merged into this one, whose identities and history it now holds. */
  mergedContacts: string[];
}

/** The sorts of every list of contacts (also an account's contacts). */
export const CONTACT_SORTS: Record<string, SortKey> = {
  name: { expression: "lower(coalesce(c.family_name, '') || ' ' || coalesce(c.given_name, ''))" },
  registeredAt: { expression: 'c.registered_at' },
  updatedAt: { expression: 'c.updated_at' },
};

/** LIKE patterns treat % and _ as wildcards: a prefix search must match them literally. */
const likePrefix = (value: string): string => `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const CSV_PAGE = 1_000;

export interface HistoryEntry {
  /** Whose event it is: the contact itself, or one merged into it. */
  contactId: string;
  type: string;
  revision: number;
  position: string;
  recordedAt: string;
  actor: string | null;
  correlationId: string | null;
  data: Record<string, unknown>;
}

const historyPage = (events: readonly RecordedEvent[], nextFrom: number | undefined): { items: HistoryEntry[]; nextFrom?: number } => ({
  items: events.map((e) => ({
    contactId: e.streamId.slice('contact-'.length),
    type: e.type,
    revision: e.revision,
    position: formatPosition(e.position),
    recordedAt: e.recordedAt.toISOString(),
    actor: e.metadata.actor ?? null,
    correlationId: e.metadata.correlationId ?? null,
    data: e.data,
  })),
  ...(nextFrom !== undefined ? { nextFrom } : {}),
});

/**
 * The contacts a contact is read with: itself and those merged into it (chains resolved: their
 * `merged_into` names the live contact). A merged contact is read alone.
 */
export const familyOf = (alias: string): string => `(select ${alias}.id union all select m.id from proj_contacts.contacts m where m.merged_into = ${alias}.id)`;

/**
 * A page's emails, phones, tags, identities, consents and custom values in one round trip, as JSON
 * per contact, its merged contacts' included: its own come first and win where both have one.
 */
const CHILDREN_SQL = `
  select c.id,
    coalesce((select json_agg(x.email order by x.own desc, x.ordinal, x.email) from (
      select distinct on (e.email) e.email, e.contact_id = c.id as own, e.ordinal from proj_contacts.contact_emails e
       where e.contact_id in ${familyOf('c')} order by e.email, (e.contact_id = c.id) desc, e.ordinal) x), '[]') as emails,
    coalesce((select json_agg(x.phone order by x.own desc, x.ordinal, x.phone) from (
      select distinct on (p.phone) p.phone, p.contact_id = c.id as own, p.ordinal from proj_contacts.contact_phones p
       where p.contact_id in ${familyOf('c')} order by p.phone, (p.contact_id = c.id) desc, p.ordinal) x), '[]') as phones,
    coalesce((select json_agg(distinct t.tag) from proj_contacts.contact_tags t where t.contact_id in ${familyOf('c')}), '[]') as tags,
    coalesce((select json_agg(json_build_object('source', x.source, 'externalId', x.external_id) order by x.source, x.external_id) from (
      select distinct i.source, i.external_id from proj_contacts.contact_identities i where i.contact_id in ${familyOf('c')}) x), '[]') as identities,
    coalesce((select json_agg(json_build_object('channel', k.channel, 'purpose', k.purpose, 'granted', k.granted, 'source', k.source,
                'changedAt', to_char(k.changed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by k.channel, k.purpose) from (
      select distinct on (k.channel, k.purpose) k.* from proj_contacts.contact_consents k where k.contact_id in ${familyOf('c')}
       order by k.channel, k.purpose, (k.contact_id = c.id) desc, k.changed_at desc) k), '[]') as consents,
    coalesce((select json_object_agg(f.key, f.value::json order by f.key) from (
      select distinct on (f.key) f.key, f.value from proj_contacts.contact_custom_fields f where f.contact_id in ${familyOf('c')}
       order by f.key, (f.contact_id = c.id) desc) f), '{}') as custom,
    coalesce((select json_agg(m.id order by m.id) from proj_contacts.contacts m where m.merged_into = c.id), '[]') as merged
  from unnest($1::uuid[]) as c(id)`;

interface ContactChildren {
  id: string;
  emails: string[];
  phones: string[];
  tags: string[];
  identities: ContactView['identities'];
  consents: ContactView['consents'];
  custom: Record<string, unknown>;
  merged: string[];
}

const listsOf = (children: ContactChildren | undefined, liveFields: ReadonlySet<string>) => ({
  emails: children?.emails ?? [],
  phones: children?.phones ?? [],
  tags: children?.tags ?? [],
  identities: children?.identities ?? [],
  consents: children?.consents ?? [],
  customFields: Object.fromEntries(Object.entries(children?.custom ?? {}).filter(([key]) => liveFields.has(key))),
  mergedContacts: children?.merged ?? [],
});

@Injectable()
export class ContactsQueries {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly customFields: CustomFieldDefinitions,
  ) {}

  async get(id: string): Promise<ContactView> {
    const row = await this.db.getRepository(ContactRow).findOneBy({ id });
    if (!row) throw new NotFoundError(`contact ${id} not found`);
    return (await this.views([row], await this.liveFieldKeys()))[0];
  }

  async list(query: ListContactsQuery): Promise<Page<ContactView>> {
    const page = await this.page(query, query.cursor, query.limit);
    return { items: await this.views(page.items, await this.liveFieldKeys()), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** The whole filtered list as CSV, one identity column per source, read a page at a time. */
  async csv(query: ListContactsQuery): Promise<Readable> {
    const sources = (
      await this.db.getRepository(ContactIdentityRow).createQueryBuilder('i').select('distinct i.source', 'source').orderBy('source').getRawMany<{ source: string }>()
    ).map((r) => r.source);
    const live = await this.liveFieldKeys();
    const fields = [...live];
    const header = [
      'id', 'given_name', 'family_name', 'email', 'emails', 'phone', 'phones', 'tags', 'lifecycle_stage', 'language', 'preferred_channel',
      'address_line1', 'address_line2', 'city', 'postal_code', 'region', 'country', 'lat', 'lon', 'owner_id', 'account_id', 'registered_at', 'updated_at',
      ...sources.map((s) => `identity:${s}`),
      ...fields.map((f) => `custom:${f}`),
    ];
    return csvStream(
      header,
      async (cursor) => {
        const page = await this.page(query, cursor, CSV_PAGE);
        return { items: await this.views(page.items, live), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (c) => [
        c.id, c.givenName, c.familyName, c.emails[0], c.emails.join(' '), c.phones[0], c.phones.join(' '), c.tags.join(' '), c.lifecycleStage, c.language, c.preferredChannel,
        c.address.line1, c.address.line2, c.address.city, c.address.postalCode, c.address.region, c.address.country, c.address.lat, c.address.lon,
        c.ownerId, c.accountId, c.registeredAt, c.updatedAt,
        ...sources.map((s) => c.identities.filter((i) => i.source === s).map((i) => i.externalId).join(' ')),
        ...fields.map((f) => c.customFields[f]),
      ],
    );
  }

  /**
   * What happened to the contact, when, and who did it, oldest first: its own events and, while
   * contacts are merged into it, theirs too (read-time, as every view of a merge: an unmerge gives
   * each its own history back). `from` counts entries of that history from 0: for a contact with
   * nothing merged into it, its revision.
   */
  async history(id: string, from = 0, limit = 100): Promise<{ items: HistoryEntry[]; nextFrom?: number }> {
    const merged = (await this.db.query<Array<{ id: string }>>('select id::text from proj_contacts.contacts where merged_into = $1 order by id', [id])).map((r) => r.id);
    const own = await this.streamOf(id, merged.length === 0 ? { from, maxCount: limit } : {});
    if (!own) throw new NotFoundError(`contact ${id} not found`);
    if (merged.length === 0) return historyPage(own, own.length === limit ? own[own.length - 1].revision + 1 : undefined);
    // Contact streams are short (what was done to a person, not their activity): read whole, merged by position.
    const theirs = await Promise.all(merged.map(async (m) => (await this.streamOf(m, {})) ?? []));
    const family = [own, ...theirs].flat().sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    const page = family.slice(from, from + limit);
    return historyPage(page, from + limit < family.length ? from + limit : undefined);
  }

  /** A contact's stream (a page of it), or undefined when there is none. */
  private async streamOf(id: string, page: { from?: number; maxCount?: number }) {
    try {
      return await this.store.readStream(streamId('contact', id), page);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
  }

  private page(query: ListContactsQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<ContactRow>> {
    return keysetPage(this.filtered(query), {
      sort: query.sort ?? 'registeredAt',
      sorts: CONTACT_SORTS,
      idExpression: 'c.id',
      cursor,
      limit,
    });
  }

  private filtered(query: ListContactsQuery): SelectQueryBuilder<ContactRow> {
    // Merged contacts are listed through their survivor.
    const q = this.db.getRepository(ContactRow).createQueryBuilder('c').where('c.merged_into is null');
    if (query.name) q.andWhere("(lower(c.given_name) like :name escape '\\' or lower(c.family_name) like :name escape '\\')", { name: likePrefix(query.name.toLowerCase()) });
    if (query.email) q.andWhere(`exists (select 1 from proj_contacts.contact_emails e where e.contact_id in ${familyOf('c')} and e.email like :email escape '\\')`, { email: likePrefix(query.email.trim().toLowerCase()) });
    if (query.phone) q.andWhere(`exists (select 1 from proj_contacts.contact_phones p where p.contact_id in ${familyOf('c')} and p.phone like :phone escape '\\')`, { phone: likePrefix(query.phone.startsWith('+') ? query.phone : `+${query.phone}`) });
    if (query.tag) q.andWhere(`exists (select 1 from proj_contacts.contact_tags t where t.contact_id in ${familyOf('c')} and t.tag = :tag)`, { tag: query.tag });
    if (query.stage) q.andWhere('c.lifecycle_stage = :stage', { stage: query.stage });
    if (query.owner) q.andWhere('c.owner_id = :owner', { owner: query.owner });
    if (query.country) q.andWhere('c.country = :country', { country: query.country.toUpperCase() });
    return q;
  }

  /** Keys of the custom fields not retired, read once per request (once per export, not per page). */
  private async liveFieldKeys(): Promise<ReadonlySet<string>> {
    return new Set((await this.customFields.live()).map((f) => f.key));
  }

  private async views(rows: ContactRow[], live: ReadonlySet<string>): Promise<ContactView[]> {
    if (rows.length === 0) return [];
    const children = await this.db.query<ContactChildren[]>(CHILDREN_SQL, [rows.map((r) => r.id)]);
    const childrenOf = new Map(children.map((c) => [c.id, c]));
    return rows.map((r) => ({
      id: r.id,
      givenName: r.givenName,
      familyName: r.familyName,
      language: r.language,
      preferredChannel: r.preferredChannel,
      address: postalAddressView(r.address),
      ownerId: r.ownerId,
      accountId: r.accountId,
      lifecycleStage: r.lifecycleStage,
      ...listsOf(childrenOf.get(r.id), live),
      registeredAt: r.registeredAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
      revision: r.revision,
      mergedInto: r.mergedInto,
    }));
  }
}
