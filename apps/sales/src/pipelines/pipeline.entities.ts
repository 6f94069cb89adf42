import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PipelineStage } from '@clientela/contracts';
import { bigintAsNumber } from '@clientela/service-kit';

// Read-only mapping onto the pipelines projection's table (schema proj_pipelines).
@Entity({ schema: 'proj_pipelines', name: 'pipelines', synchronize: false })
export class PipelineRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'name_key' }) nameKey!: string;
  @Column('jsonb') stages!: PipelineStage[];
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('bigint', { transformer: bigintAsNumber }) revision!: number;
}

export const pipelineEntities = [PipelineRow];
