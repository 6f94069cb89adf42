import type { RecordedEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';
import type { ImportFinishedPayload, ImportRowsProcessedPayload, ImportStartedPayload } from './import.events';

export const IMPORTS_PROJECTION = 'contact_imports';

const tables = {
  jobs: {
    columns: {
      id: 'uuid',
      kind: 'text',
      dry_run: 'boolean',
      mapping: 'text',
      status: 'text',
      reason: 'text',
      rows_read: { type: 'bigint', default: '0' },
      created: { type: 'bigint', default: '0' },
      matched: { type: 'bigint', default: '0' },
      failed: { type: 'bigint', default: '0' },
      started_at: 'timestamptz',
      finished_at: 'timestamptz',
    },
    primaryKey: ['id'],
    indexes: [['started_at']],
  },
  errors: {
    columns: { import_id: 'uuid', row: 'bigint', field: 'text', message: 'text' },
    primaryKey: ['import_id', 'row', 'field'],
  },
} as const;

/** Import jobs with their running counts, and the errors of their bad rows. */
export const importsProjection = defineProjection<RowProjection<typeof tables>>({
  name: IMPORTS_PROJECTION,
  version: 1,
  categories: ['contactImport'],
  eventTypes: ['ContactImportStarted', 'ContactImportRowsProcessed', 'ContactImportFinished'],
  tables,
  project: (event: RecordedEvent): RowChange[] => {
    switch (event.type) {
      case 'ContactImportStarted': {
        const d = event.data as unknown as ImportStartedPayload;
        return [{ table: 'jobs', key: { id: d.importId }, set: { kind: d.kind, dry_run: d.dryRun, mapping: d.mapping, status: 'running', started_at: d.startedAt } }];
      }
      case 'ContactImportRowsProcessed': {
        const d = event.data as unknown as ImportRowsProcessedPayload;
        return [
          { table: 'jobs', key: { id: d.importId }, add: { rows_read: d.rowsRead, created: d.created, matched: d.matched, failed: d.failed } },
          ...d.errors.map((e): RowChange => ({ table: 'errors', key: { import_id: d.importId, row: e.row, field: e.field }, set: { message: e.message } })),
        ];
      }
      case 'ContactImportFinished': {
        const d = event.data as unknown as ImportFinishedPayload;
        return [{ table: 'jobs', key: { id: d.importId }, set: { status: d.status, reason: d.reason || null, finished_at: d.finishedAt } }];
      }
      default:
        return [];
    }
  },
});
