import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { CsvError, parse } from 'csv-parse';
import { formatPosition, ValidationError, type Position, type StreamId } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { EVENT_STORE, type WriteRequest } from '@clientela/service-kit';
import { CustomFieldDefinitions } from '../custom-fields/custom-field-command';
import type { IdentityRules } from '../ingest/identifiers';
import { IDENTITY_RULES, IngestService, MAX_INGEST_ITEMS, type IngestItemResult } from '../ingest/ingest.service';
import type { Claim, IngestItem } from '../ingest/resolution';
import type { ImportKind, ImportRowError } from './import.events';
import { checkContactRow, parseMapping, type ImportMapping } from './import-rows';

export interface ImportRequest {
  importId: string;
  kind: ImportKind;
  dryRun: boolean;
  mapping: string | undefined;
  write: WriteRequest;
}

export interface ImportSummary {
  id: string;
  kind: ImportKind;
  dryRun: boolean;
  status: 'finished' | 'failed';
  reason: string | null;
  rowsRead: number;
  /** Contacts created (a dry run: that would be). */
  created: number;
  /** Rows that named a contact already known (or an earlier row of the file). */
  matched: number;
  failed: number;
  /** Position of the job's last event: X-Min-Position for GET /imports/:id. */
  position: string;
}

/** The CSV file could not be read at all (bad quoting, a header without a mapped column). */
export class UnreadableCsvError extends ValidationError {
  override readonly code: string = 'unreadable_csv';
}

const issues = (result: Extract<IngestItemResult, { status: 'rejected' }>): string =>
  [result.detail, ...result.violations.flatMap((v) => Object.values(v.constraints))].join(': ');

/**
 * A CSV import: the file is read as it streams in (csv-parse), each row checked against the
 * mapping, and the good rows sent, 1,000 at a time, through ingest's identity resolution, which
 * creates, matches and makes a re-run a no-op exactly as for ingested events (a row's id is its
 * identity). A dry run plans the same way and writes nothing but the job. The job is a stream of
 * its own (`contactImport-<id>`): started, one event per batch with its counts and bad rows, finished.
 */
@Injectable()
export class ImportService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly ingest: IngestService,
    private readonly customFields: CustomFieldDefinitions,
    @Inject(IDENTITY_RULES) private readonly rules: IdentityRules,
  ) {}

  async run(request: ImportRequest, csv: Readable): Promise<ImportSummary> {
    const { fields } = await this.customFields.all();
    const mapping = parseMapping(request.mapping, fields);
    const job = new ImportJob(this.store, request);
    const counts = { rowsRead: 0, created: 0, matched: 0, failed: 0 };
    const previewed = new Map<string, Claim>();
    const now = new Date().toISOString();
    let batch: IngestItem[] = [];
    let errors: ImportRowError[] = [];
    let batchRows = 0;

    const flush = async () => {
      const delta = { rowsRead: batchRows, created: 0, matched: 0, failed: 0 };
      const results = batch.length === 0 ? [] : request.dryRun ? await this.ingest.preview(batch, previewed) : (await this.ingest.ingest(batch)).results;
      for (const result of results) {
        if (result.status === 'rejected') errors.push({ row: result.index, field: 'row', message: issues(result) });
        else if (result.status === 'accepted' && result.created) delta.created++;
        else delta.matched++;
      }
      delta.failed = new Set(errors.map((e) => e.row)).size;
      await job.progress({ ...delta, errors: errors.sort((a, b) => a.row - b.row) });
      for (const key of Object.keys(counts) as Array<keyof typeof counts>) counts[key] += delta[key];
      batch = [];
      errors = [];
      batchRows = 0;
    };

    const parser = csv.pipe(parse({ bom: true, columns: (header: string[]) => checkHeader(header, mapping), skip_empty_lines: true, relax_column_count: true, trim: false }));
    try {
      for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) {
        const row = counts.rowsRead + batchRows + 2;
        batchRows++;
        const checked = checkContactRow(record, row, mapping, this.rules, fields, now);
        if (checked.ok) batch.push({ index: row, message: checked.contact });
        else errors.push(...checked.errors);
        if (batchRows >= MAX_INGEST_ITEMS) await flush();
      }
      if (batchRows > 0 || !job.started) await flush();
    } catch (error) {
      const reason = error instanceof UnreadableCsvError ? error.message : error instanceof CsvError ? `the CSV could not be read: ${error.message}` : undefined;
      if (reason === undefined) {
        if (job.started) await job.finish('failed', 'the import stopped on an internal error; run it again (rows already imported are matched, not created twice)').catch(() => undefined);
        throw error;
      }
      if (!job.started) throw error instanceof UnreadableCsvError ? error : new UnreadableCsvError(reason, [{ path: 'body', constraints: { csv: reason } }]);
      const position = await job.finish('failed', reason);
      return { id: request.importId, kind: request.kind, dryRun: request.dryRun, status: 'failed', reason, ...counts, position: formatPosition(position) };
    }
    const position = await job.finish('finished', '');
    return { id: request.importId, kind: request.kind, dryRun: request.dryRun, status: 'finished', reason: null, ...counts, position: formatPosition(position) };
  }
}

/** Every mapped column must be in the header: a misspelt one would silently import nothing. */
const checkHeader = (header: string[], mapping: ImportMapping): string[] => {
  const names = header.map((h) => h.trim());
  const missing = Object.keys(mapping.columns).filter((column) => !names.includes(column));
  if (missing.length > 0) {
    throw new UnreadableCsvError(`the CSV header has no column ${missing.join(', ')}`, missing.map((column) => ({ path: `mapping.columns.${column}`, constraints: { header: `no column ${column} in the CSV header` } })));
  }
  return names;
};

/** The job's stream: appended to in order, one writer (the request that runs it). */
class ImportJob {
  private revision = -1;
  private readonly stream: StreamId;

  constructor(
    private readonly store: EventStore,
    private readonly request: ImportRequest,
  ) {
    this.stream = `contactImport-${request.importId}` as StreamId;
  }

  get started(): boolean {
    return this.revision >= 0;
  }

  async progress(counts: { rowsRead: number; created: number; matched: number; failed: number; errors: ImportRowError[] }): Promise<void> {
    await this.append('ContactImportRowsProcessed', { importId: this.request.importId, ...counts });
  }

  async finish(status: 'finished' | 'failed', reason: string): Promise<Position> {
    return this.append('ContactImportFinished', { importId: this.request.importId, status, reason, finishedAt: new Date().toISOString() });
  }

  private async append(type: string, data: Record<string, unknown>): Promise<Position> {
    const { importId, kind, dryRun, mapping, write } = this.request;
    const events = [
      ...(this.started ? [] : [{ type: 'ContactImportStarted', data: { importId, kind, dryRun, mapping: mapping ?? '', startedAt: new Date().toISOString() }, metadata: write.metadata }]),
      { type, data, metadata: write.metadata },
    ];
    const result = await this.store.append(this.stream, events, { expectedRevision: this.started ? this.revision : 'no_stream' });
    this.revision = result.nextRevision;
    return result.position;
  }
}
