import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import { In, type DataSource, type SelectQueryBuilder } from 'typeorm';
import { NotFoundError } from '@clientela/contracts';
import { postalAddressView, type PostalAddressView } from '../postal-address/postal-address.columns';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { ContactEmailRow, ContactRow } from '../contacts/contact.entities';
import { CONTACT_SORTS } from '../contacts/contacts.queries';
import { AccountRow } from './account.entities';
import { normaliseDomain } from './accounts.decider';
import type { ListAccountContactsQuery, ListAccountsQuery } from './accounts.dto';

export interface AccountView {
  id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  size: string | null;
  address: PostalAddressView;
  ownerId: string | null;
  archived: boolean;
  archivedAt: string | null;
  /** Contacts whose `accountId` is this account, from the contacts read model. */
  contactCount: number;
  registeredAt: string;
  updatedAt: string;
  revision: number;
}

/** A contact as an account lists it: who they are and how to reach them; the contact's own read has the rest. */
export interface AccountContactView {
  id: string;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  lifecycleStage: string;
  ownerId: string | null;
  registeredAt: string;
}

const SORTS: Record<string, SortKey> = {
  name: { expression: 'a.name_key' },
  registeredAt: { expression: 'a.registered_at' },
  updatedAt: { expression: 'a.updated_at' },
};


/** LIKE patterns treat % and _ as wildcards: a prefix search must match them literally. */
const likePrefix = (value: string): string => `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const CSV_PAGE = 1_000;
const CSV_HEADER = [
  'id', 'name', 'domain', 'industry', 'size', 'address_line1', 'address_line2', 'city', 'postal_code', 'region', 'country', 'lat', 'lon',
  'owner_id', 'archived', 'archived_at', 'contact_count', 'registered_at', 'updated_at',
];

@Injectable()
export class AccountsQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(id: string): Promise<AccountView> {
    const row = await this.db.getRepository(AccountRow).findOneBy({ id });
    if (!row) throw new NotFoundError(`account ${id} not found`);
    return (await this.views([row]))[0];
  }

  async list(query: ListAccountsQuery): Promise<Page<AccountView>> {
    const page = await this.page(query, query.cursor, query.limit);
    return { items: await this.views(page.items), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** The whole filtered list as CSV, read a page at a time. */
  csv(query: ListAccountsQuery): Readable {
    return csvStream(
      CSV_HEADER,
      async (cursor) => {
        const page = await this.page(query, cursor, CSV_PAGE);
        return { items: await this.views(page.items), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      (a) => [
        a.id, a.name, a.domain, a.industry, a.size, a.address.line1, a.address.line2, a.address.city, a.address.postalCode, a.address.region,
        a.address.country, a.address.lat, a.address.lon, a.ownerId, a.archived, a.archivedAt, a.contactCount, a.registeredAt, a.updatedAt,
      ],
    );
  }

  /** The account's contacts, page by keyset over the contacts read model. */
  async contacts(id: string, query: ListAccountContactsQuery): Promise<Page<AccountContactView>> {
    if (!(await this.db.getRepository(AccountRow).existsBy({ id }))) throw new NotFoundError(`account ${id} not found`);
    const page = await keysetPage(this.db.getRepository(ContactRow).createQueryBuilder('c').where('c.account_id = :id and c.merged_into is null', { id }), {
      sort: query.sort ?? 'name',
      sorts: CONTACT_SORTS,
      idExpression: 'c.id',
      cursor: query.cursor,
      limit: query.limit,
    });
    const primaryEmails = new Map<string, string>();
    if (page.items.length > 0) {
      const emails = await this.db.getRepository(ContactEmailRow).find({ where: { contactId: In(page.items.map((c) => c.id)) }, order: { ordinal: 'ASC' } });
      for (const e of emails) if (!primaryEmails.has(e.contactId)) primaryEmails.set(e.contactId, e.email);
    }
    return {
      items: page.items.map((c) => ({
        id: c.id,
        givenName: c.givenName,
        familyName: c.familyName,
        email: primaryEmails.get(c.id) ?? null,
        lifecycleStage: c.lifecycleStage,
        ownerId: c.ownerId,
        registeredAt: c.registeredAt.toISOString(),
      })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  private page(query: ListAccountsQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<AccountRow>> {
    return keysetPage(this.filtered(query), { sort: query.sort ?? 'registeredAt', sorts: SORTS, idExpression: 'a.id', cursor, limit });
  }

  private filtered(query: ListAccountsQuery): SelectQueryBuilder<AccountRow> {
    const q = this.db.getRepository(AccountRow).createQueryBuilder('a');
    if (query.name) q.andWhere("a.name_key like :name escape '\\'", { name: likePrefix(query.name.toLowerCase()) });
    if (query.domain) q.andWhere('a.domain = :domain', { domain: normaliseDomain(query.domain) });
    if (query.industry) q.andWhere('lower(a.industry) = :industry', { industry: query.industry.toLowerCase() });
    if (query.size) q.andWhere('a.size = :size', { size: query.size });
    if (query.owner) q.andWhere('a.owner_id = :owner', { owner: query.owner });
    if (query.archived) q.andWhere('a.archived = :archived', { archived: query.archived === 'true' });
    return q;
  }

  private async contactCounts(ids: string[]): Promise<Map<string, number>> {
    const rows = await this.db
      .getRepository(ContactRow)
      .createQueryBuilder('c')
      .select('c.account_id', 'accountId')
      .addSelect('count(*)::int', 'count')
      .where('c.account_id in (:...ids) and c.merged_into is null', { ids })
      .groupBy('c.account_id')
      .getRawMany<{ accountId: string; count: number }>();
    return new Map(rows.map((r) => [r.accountId, Number(r.count)]));
  }

  private async views(rows: AccountRow[]): Promise<AccountView[]> {
    if (rows.length === 0) return [];
    const counts = await this.contactCounts(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      domain: r.domain,
      industry: r.industry,
      size: r.size,
      address: postalAddressView(r.address),
      ownerId: r.ownerId,
      archived: r.archived,
      archivedAt: r.archivedAt?.toISOString() ?? null,
      contactCount: counts.get(r.id) ?? 0,
      registeredAt: r.registeredAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
      revision: r.revision,
    }));
  }
}
