import { Injectable } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { keysetPage, PageQuery, type Page } from '@clientela/service-kit';
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
    const q = this.db.getRepository(DuplicatePairRow).createQueryBuilder('d');
    if (query.contactId) q.andWhere('(d.contact_id = :contactId or d.other_contact_id = :contactId)', { contactId: query.contactId });
    if (query.reason) q.andWhere('d.reason = :reason', { reason: query.reason });
    const page = await keysetPage(q, { sort: 'foundAt', sorts: { foundAt: { expression: 'd.found_at' } }, idExpression: "(d.pair_id::text || d.reason)", cursor: query.cursor, limit: query.limit });
    return { ...page, items: page.items.map((row) => ({ contactId: row.contactId, otherContactId: row.otherContactId, reason: row.reason, foundAt: row.foundAt.toISOString() })) };
  }
}
