import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import { In, type DataSource, type SelectQueryBuilder } from 'typeorm';
import { formatPosition, NotFoundError, streamId } from '@clientela/contracts';
import { StreamNotFoundError, type EventStore } from '@clientela/event-store';
import { postalAddressView, type PostalAddressView } from '../postal-address/postal-address.columns';
import { csvStream, EVENT_STORE, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { CustomFieldDefinitions } from '../custom-fields/custom-field-command';
import { ContactConsentRow, ContactCustomFieldRow, ContactEmailRow, ContactIdentityRow, ContactPhoneRow, ContactRow, ContactTagRow } from './contact.entities';
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
    return (await this.views([row]))[0];
  }

  async list(query: ListContactsQuery): Promise<Page<ContactView>> {
    const page = await this.page(query, query.cursor, query.limit);
    return { items: await this.views(page.items), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** The whole filtered list as CSV, one identity column per source, read a page at a time. */
  async csv(query: ListContactsQuery): Promise<Readable> {
    const sources = (
      await this.db.getRepository(ContactIdentityRow).createQueryBuilder('i').select('distinct i.source', 'source').orderBy('source').getRawMany<{ source: string }>()
    ).map((r) => r.source);
    const fields = (await this.customFields.live()).map((f) => f.key);
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
        return { items: await this.views(page.items), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
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

  /** The contact's own events, oldest first: what happened to it, when, and who did it. */
  async history(id: string, from = 0, limit = 100) {
    try {
      const events = await this.store.readStream(streamId('contact', id), { from, maxCount: limit });
      return {
        items: events.map((e) => ({
          type: e.type,
          revision: e.revision,
          position: formatPosition(e.position),
          recordedAt: e.recordedAt.toISOString(),
          actor: e.metadata.actor ?? null,
          correlationId: e.metadata.correlationId ?? null,
          data: e.data,
        })),
        ...(events.length === limit ? { nextFrom: events[events.length - 1].revision + 1 } : {}),
      };
    } catch (error) {
      if (error instanceof StreamNotFoundError) throw new NotFoundError(`contact ${id} not found`);
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
    const q = this.db.getRepository(ContactRow).createQueryBuilder('c');
    if (query.name) q.andWhere("(lower(c.given_name) like :name escape '\\' or lower(c.family_name) like :name escape '\\')", { name: likePrefix(query.name.toLowerCase()) });
    if (query.email) q.andWhere("exists (select 1 from proj_contacts.contact_emails e where e.contact_id = c.id and e.email like :email escape '\\')", { email: likePrefix(query.email.trim().toLowerCase()) });
    if (query.phone) q.andWhere("exists (select 1 from proj_contacts.contact_phones p where p.contact_id = c.id and p.phone like :phone escape '\\')", { phone: likePrefix(query.phone.startsWith('+') ? query.phone : `+${query.phone}`) });
    if (query.tag) q.andWhere('exists (select 1 from proj_contacts.contact_tags t where t.contact_id = c.id and t.tag = :tag)', { tag: query.tag });
    if (query.stage) q.andWhere('c.lifecycle_stage = :stage', { stage: query.stage });
    if (query.owner) q.andWhere('c.owner_id = :owner', { owner: query.owner });
    if (query.country) q.andWhere('c.country = :country', { country: query.country.toUpperCase() });
    return q;
  }

  private async views(rows: ContactRow[]): Promise<ContactView[]> {
    if (rows.length === 0) return [];
    const ids = In(rows.map((r) => r.id));
    const [emails, phones, tags, identities, consents, customValues, definitions] = await Promise.all([
      this.db.getRepository(ContactEmailRow).find({ where: { contactId: ids }, order: { ordinal: 'ASC' } }),
      this.db.getRepository(ContactPhoneRow).find({ where: { contactId: ids }, order: { ordinal: 'ASC' } }),
      this.db.getRepository(ContactTagRow).find({ where: { contactId: ids }, order: { tag: 'ASC' } }),
      this.db.getRepository(ContactIdentityRow).find({ where: { contactId: ids }, order: { source: 'ASC' } }),
      this.db.getRepository(ContactConsentRow).find({ where: { contactId: ids }, order: { channel: 'ASC', purpose: 'ASC' } }),
      this.db.getRepository(ContactCustomFieldRow).find({ where: { contactId: ids }, order: { key: 'ASC' } }),
      this.customFields.live(),
    ]);
    const live = new Set(definitions.map((d) => d.key));
    const byContact = <T extends { contactId: string }>(list: T[]) => {
      const map = new Map<string, T[]>();
      for (const item of list) map.set(item.contactId, [...(map.get(item.contactId) ?? []), item]);
      return (id: string) => map.get(id) ?? [];
    };
    const [emailsOf, phonesOf, tagsOf, identitiesOf, consentsOf, customOf] = [
      byContact(emails),
      byContact(phones),
      byContact(tags),
      byContact(identities),
      byContact(consents),
      byContact(customValues),
    ];
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
      emails: emailsOf(r.id).map((e) => e.email),
      phones: phonesOf(r.id).map((p) => p.phone),
      tags: tagsOf(r.id).map((t) => t.tag),
      identities: identitiesOf(r.id).map((i) => ({ source: i.source, externalId: i.externalId })),
      consents: consentsOf(r.id).map((c) => ({ channel: c.channel, purpose: c.purpose, granted: c.granted, source: c.source, changedAt: c.changedAt.toISOString() })),
      customFields: Object.fromEntries(customOf(r.id).filter((v) => live.has(v.key)).map((v) => [v.key, JSON.parse(v.value) as unknown])),
      registeredAt: r.registeredAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
      revision: r.revision,
    }));
  }
}
