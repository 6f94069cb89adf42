import type { PipelineEvent, RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';

/** The pipelines read model: one row per pipeline, its stages in order as JSON. */
export const PIPELINES_PROJECTION = 'pipelines';

const tables = {
  pipelines: {
    columns: {
      id: 'uuid',
      name: 'text',
      name_key: 'text',
      stages: 'jsonb',
      created_at: 'timestamptz',
      updated_at: 'timestamptz',
      revision: { type: 'bigint', default: '0' },
    },
    primaryKey: ['id'],
    indexes: [['name_key'], ['created_at']],
  },
} as const;

const changesOf = (event: PipelineEvent, revision: number, recordedAt: string): RowChange[] => {
  const key = { id: event.data.pipelineId };
  const touched: RowChange = { table: 'pipelines', key, max: { revision, updated_at: recordedAt } };
  switch (event.type) {
    case 'PipelineCreated': {
      const d = event.data;
      return [{ table: 'pipelines', key, set: { name: d.name, name_key: d.name.toLowerCase(), stages: JSON.stringify(d.stages), created_at: d.createdAt } }, touched];
    }
    case 'PipelineChanged': {
      const d = event.data;
      const set: Record<string, string> = {};
      if (d.name !== undefined) Object.assign(set, { name: d.name, name_key: d.name.toLowerCase() });
      if (d.stages !== undefined) set.stages = JSON.stringify(d.stages);
      return [{ table: 'pipelines', key, set }, touched];
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const pipelinesProjection = defineProjection<RowProjection<typeof tables>>({
  name: PIPELINES_PROJECTION,
  version: 1,
  categories: ['pipeline'],
  eventTypes: ['PipelineCreated', 'PipelineChanged'],
  tables,
  project: (event: RecordedEvent): RowChange[] =>
    changesOf(event as unknown as PipelineEvent, event.revision, event.recordedAt instanceof Date ? event.recordedAt.toISOString() : String(event.recordedAt)),
});
