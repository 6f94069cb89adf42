import { Injectable } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { keysetPage, PageQuery, type Page } from '@clientela/service-kit';
import { ContactRow } from '../contacts/contact.entities';
import { DUPLICATE_REASONS, type DuplicateReason } from './ingest.events';

@Entity({ schema: 'proj_contact_duplicates', name: 'pairs', synchronize: false })
export class DuplicatePairRow {
  @PrimaryColumn('uuid', { name: 'pair_id' }) pairId!: string;
  @PrimaryColumn('text') reason!: string;
  @Column('uuid', { name: 'contact_id' }) contactId!: string;
  @Column('uuid', { name: 'other_contact_id' }) otherContactId!: string;
  @Column('timestamptz', { name: 'found_at' }) foundAt!: Date;
}

export class ListDuplicatesQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'pairs that include this contact' })
  @IsOptional() @IsUUID() contactId?: string;

  @ApiPropertyOptional({ enum: DUPLICATE_REASONS })
  @IsOptional() @IsIn(DUPLICATE_REASONS) reason?: DuplicateReason;
}

export interface DuplicatePairView {
  contactId: string;
  otherContactId: string;
  reason: string;
  foundAt: string;
}

@Injectable()
export class DuplicatesQueries {
  constructor(private readonly db: DataSource) {}

  async list(query: ListDuplicatesQuery): Promise<Page<DuplicatePairView>> {
    // Pairs are read as the contacts they count as now: a pair merged into one is no longer a
    // likely duplicate (an unmerge brings it back), and a merged contact's pairs are its survivor's.
    const a = 'coalesce(ca.merged_into, d.contact_id)';
    const b = 'coalesce(cb.merged_into, d.other_contact_id)';
    const q = this.db
      .getRepository(DuplicatePairRow)
      .createQueryBuilder('d')
      .leftJoin(ContactRow, 'ca', 'ca.id = d.contact_id')
      .leftJoin(ContactRow, 'cb', 'cb.id = d.other_contact_id')
      .where(`${a} <> ${b}`);
    if (query.contactId) q.andWhere(`(${a} = :contactId or ${b} = :contactId)`, { contactId: query.contactId });
    if (query.reason) q.andWhere('d.reason = :reason', { reason: query.reason });
    const page = await keysetPage(q, { sort: 'foundAt', sorts: { foundAt: { expression: 'd.found_at' } }, idExpression: "(d.pair_id::text || d.reason)", cursor: query.cursor, limit: query.limit });
    const ids = [...new Set(page.items.flatMap((row) => [row.contactId, row.otherContactId]))];
    const merged = ids.length === 0 ? [] : await this.db.getRepository(ContactRow).createQueryBuilder('c').where('c.id in (:...ids) and c.merged_into is not null', { ids }).getMany();
    const survivor = new Map(merged.map((c) => [c.id, c.mergedInto as string]));
    const live = (id: string) => survivor.get(id) ?? id;
    return { ...page, items: page.items.map((row) => ({ contactId: live(row.contactId), otherContactId: live(row.otherContactId), reason: row.reason, foundAt: row.foundAt.toISOString() })) };
  }
}
