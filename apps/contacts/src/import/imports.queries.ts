import { Injectable } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import type { Readable } from 'node:stream';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { NotFoundError } from '@clientela/contracts';
import { bigintAsNumber, csvStream, keysetPage, PageQuery, type Page } from '@clientela/service-kit';
import { IMPORT_KINDS, type ImportKind } from './import.events';

const schema = 'proj_contact_imports';

@Entity({ schema, name: 'jobs', synchronize: false })
export class ImportJobRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') kind!: ImportKind;
  @Column('boolean', { name: 'dry_run' }) dryRun!: boolean;
  @Column('text') mapping!: string;
  @Column('text') status!: string;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('bigint', { name: 'rows_read', transformer: bigintAsNumber }) rowsRead!: number;
  @Column('bigint', { transformer: bigintAsNumber }) created!: number;
  @Column('bigint', { transformer: bigintAsNumber }) matched!: number;
  @Column('bigint', { transformer: bigintAsNumber }) failed!: number;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}

@Entity({ schema, name: 'errors', synchronize: false })
export class ImportErrorRow {
  @PrimaryColumn('uuid', { name: 'import_id' }) importId!: string;
  @PrimaryColumn('bigint', { transformer: bigintAsNumber }) row!: number;
  @PrimaryColumn('text') field!: string;
  @Column('text') message!: string;
}

export const importEntities = [ImportJobRow, ImportErrorRow];

export class ImportIdParams {
  @IsUUID() id!: string;
}

export class ListImportsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: IMPORT_KINDS })
  @IsOptional() @IsIn(IMPORT_KINDS) kind?: ImportKind;
}

export interface ImportJobView {
  id: string;
  kind: ImportKind;
  dryRun: boolean;
  mapping: unknown;
  /** running, finished or failed (with `reason`). */
  status: string;
  reason: string | null;
  rowsRead: number;
  created: number;
  matched: number;
  failed: number;
  startedAt: string;
  finishedAt: string | null;
}

export interface ImportErrorView {
  row: number;
  field: string;
  message: string;
}

const CSV_PAGE = 1_000;

const jobView = (r: ImportJobRow): ImportJobView => ({
  id: r.id,
  kind: r.kind,
  dryRun: r.dryRun,
  mapping: JSON.parse(r.mapping || 'null') as unknown,
  status: r.status,
  reason: r.reason,
  rowsRead: r.rowsRead,
  created: r.created,
  matched: r.matched,
  failed: r.failed,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
});

@Injectable()
export class ImportsQueries {
  constructor(private readonly db: DataSource) {}

  async get(id: string): Promise<ImportJobView> {
    const row = await this.db.getRepository(ImportJobRow).findOneBy({ id });
    if (!row) throw new NotFoundError(`import ${id} not found`);
    return jobView(row);
  }

  async list(query: ListImportsQuery): Promise<Page<ImportJobView>> {
    const q = this.db.getRepository(ImportJobRow).createQueryBuilder('j');
    if (query.kind) q.andWhere('j.kind = :kind', { kind: query.kind });
    const page = await keysetPage(q, { sort: '-startedAt', sorts: { startedAt: { expression: 'j.started_at' } }, idExpression: 'j.id', cursor: query.cursor, limit: query.limit });
    return { ...page, items: page.items.map(jobView) };
  }

  async errors(id: string, cursor: string | undefined, limit: number | undefined): Promise<Page<ImportErrorView>> {
    await this.get(id);
    return this.errorPage(id, cursor, limit);
  }

  async errorsCsv(id: string): Promise<Readable> {
    await this.get(id);
    return csvStream(['row', 'field', 'message'], (cursor) => this.errorPage(id, cursor, CSV_PAGE), (e) => [e.row, e.field, e.message]);
  }

  private async errorPage(id: string, cursor: string | undefined, limit: number | undefined): Promise<Page<ImportErrorView>> {
    const q = this.db.getRepository(ImportErrorRow).createQueryBuilder('e').where('e.import_id = :id', { id });
    const page = await keysetPage(q, { sort: 'row', sorts: { row: { expression: 'e.row' } }, idExpression: 'e.field', cursor, limit });
    return { ...page, items: page.items.map((e) => ({ row: e.row, field: e.field, message: e.message })) };
  }
}
