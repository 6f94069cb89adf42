import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { NotFoundError, type PipelineStage } from '@clientela/contracts';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { likePrefix } from '../lists/like-prefix';
import { PipelineRow } from './pipeline.entities';
import type { ListPipelinesQuery } from './pipelines.dto';

export interface PipelineView {
  id: string;
  name: string;
  stages: PipelineStage[];
  createdAt: string;
  updatedAt: string;
  revision: number;
}

const SORTS: Record<string, SortKey> = { name: { expression: 'p.name_key' }, createdAt: { expression: 'p.created_at' } };
const CSV_PAGE = 1_000;

const viewOf = (r: PipelineRow): PipelineView => ({
  id: r.id,
  name: r.name,
  stages: r.stages,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  revision: r.revision,
});

@Injectable()
export class PipelinesQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(id: string): Promise<PipelineView> {
    const row = await this.db.getRepository(PipelineRow).findOneBy({ id });
    if (!row) throw new NotFoundError(`pipeline ${id} not found`);
    return viewOf(row);
  }

  async list(query: ListPipelinesQuery): Promise<Page<PipelineView>> {
    const page = await this.page(query, query.cursor, query.limit);
    return { items: page.items.map(viewOf), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** One line per stage, so a spreadsheet shows the pipeline as it reads. */
  csv(query: ListPipelinesQuery): Readable {
    return csvStream(
      ['pipeline_id', 'pipeline_name', 'stage_order', 'stage_id', 'stage_name', 'probability', 'created_at', 'updated_at'],
      async (cursor) => {
        const page = await this.page(query, cursor, CSV_PAGE);
        return { items: page.items.flatMap((p) => p.stages.map((stage, i) => ({ p, stage, order: i + 1 }))), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      ({ p, stage, order }) => [p.id, p.name, order, stage.stageId, stage.name, stage.probability, p.createdAt, p.updatedAt],
    );
  }

  private page(query: ListPipelinesQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<PipelineRow>> {
    return keysetPage(this.filtered(query), { sort: query.sort ?? 'name', sorts: SORTS, idExpression: 'p.id', cursor, limit });
  }

  private filtered(query: ListPipelinesQuery): SelectQueryBuilder<PipelineRow> {
    const q = this.db.getRepository(PipelineRow).createQueryBuilder('p');
    if (query.name) q.andWhere("p.name_key like :name escape '\\'", { name: likePrefix(query.name.toLowerCase()) });
    return q;
  }
}
