import { randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { CsvError, parse } from 'csv-parse';
import type { Pool } from 'pg';
import { formatPosition, ValidationError, type Position, type StreamId } from '@clientela/contracts';
import { WrongExpectedRevisionError, type EventStore, type StreamAppend } from '@clientela/event-store';
import { EVENT_STORE, PG_POOL, type WriteRequest } from '@clientela/service-kit';
import { CustomFieldDefinitions } from '../custom-fields/custom-field-command';
import type { IdentityRules } from '../ingest/identifiers';
import { IDENTITY_RULES, IngestService, MAX_INGEST_ITEMS, type IngestItemResult } from '../ingest/ingest.service';
import type { Claim, IngestItem } from '../ingest/resolution';
import type { ImportKind, ImportRowError } from './import.events';
import { checkAccountRow, checkContactRow, parseMapping, type ImportedAccount, type ImportMapping } from './import-rows';

export interface ImportRequest {
  importId: string;
  kind: ImportKind;
  dryRun: boolean;
  mapping: string | undefined;
  /** The body's text encoding (a WHATWG label's name: `utf-8`, `windows-1252`, `utf-16le` …). */
  encoding: string;
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

/**
 * The text encoding a CSV body names in its Content-Type (`text/csv; charset=windows-1252`), as the
 * WHATWG Encoding Standard labels it (`latin1` is windows-1252 there, as browsers read it); UTF-8
 * when it names none. Undefined for a charset this runtime cannot decode.
 */
export const csvEncodingOf = (contentType: string | undefined): string | undefined => {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  if (charset === undefined) return 'utf-8';
  try {
    return new TextDecoder(charset).encoding;
  } catch {
    return undefined;
  }
};

/**
 * The body as UTF-8 for the parser, decoded from `encoding` and refused at the first chunk that is
 * not valid in it: a Windows-1252 file read as UTF-8 would otherwise import "M\ufffdller" for
 * "Müller", row after row, without a word. UTF-8 bodies pass through as they are, only checked.
 */
const decodedAs = (encoding: string): Transform => {
  const decoder = new TextDecoder(encoding, { fatal: true });
  const utf8 = encoding === 'utf-8';
  let offset = 0;
  const invalid = () => {
    const reason = utf8
      ? `the CSV is not UTF-8 (at or after byte ${offset}): save it as UTF-8, or name its encoding in Content-Type (text/csv; charset=windows-1252), and send it again`
      : `the CSV is not ${encoding} (at or after byte ${offset}): name the encoding it was saved in, or save it as UTF-8`;
    return new UnreadableCsvError(reason, [{ path: 'body', constraints: { encoding: reason } }]);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        return done(invalid());
      }
      offset += chunk.length;
      done(null, utf8 ? chunk : Buffer.from(text, 'utf8'));
    },
    flush(done) {
      let text: string;
      try {
        text = decoder.decode();
      } catch {
        return done(invalid());
      }
      done(null, utf8 || text === '' ? undefined : Buffer.from(text, 'utf8'));
    },
  });
};

/** What became of one good row. */
type RowOutcome = { row: number; outcome: 'created' | 'matched' } | { row: number; outcome: 'failed'; message: string };

/** How rows of one kind are checked and written (or, in a dry run, planned). */
interface RowKind<T> {
  check(record: Record<string, string | undefined>, row: number): { ok: true; item: T } | { ok: false; errors: ImportRowError[] };
  process(items: Array<{ row: number; item: T }>): Promise<RowOutcome[]>;
}

/** A lost race (an account registered meanwhile) is sorted out this many times. */
const MAX_ACCOUNT_ATTEMPTS = 10;

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
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async run(request: ImportRequest, csv: Readable): Promise<ImportSummary> {
    const { fields } = await this.customFields.all();
    const mapping = parseMapping(request.mapping, fields, request.kind);
    const now = new Date().toISOString();
    return request.kind === 'contacts' ? this.runRows(request, mapping, csv, this.contactRows(request, mapping, fields, now)) : this.runRows(request, mapping, csv, this.accountRows(request, mapping, now));
  }

  /** Contacts go through ingest's identity resolution; a dry run plans without writing. */
  private contactRows(request: ImportRequest, mapping: ImportMapping, fields: Parameters<typeof checkContactRow>[4], now: string): RowKind<IngestItem['message']> {
    const previewed = new Map<string, Claim>();
    return {
      check: (record, row) => {
        const checked = checkContactRow(record, row, mapping, this.rules, fields, now);
        return checked.ok ? { ok: true, item: checked.contact } : checked;
      },
      process: async (items) => {
        const batch: IngestItem[] = items.map(({ row, item }) => ({ index: row, message: item }));
        const results = request.dryRun ? await this.ingest.preview(batch, previewed) : (await this.ingest.ingest(batch)).results;
        return results.map((r): RowOutcome => (r.status === 'rejected' ? { row: r.index, outcome: 'failed', message: issues(r) } : { row: r.index, outcome: r.status === 'accepted' && r.created ? 'created' : 'matched' }));
      },
    };
  }

  /**
   * Accounts have no identity resolution: a row is keyed by its domain, else its name. One that an
   * account already has (the read model; or the store, when the read model lags) is matched; the
   * others are registered, with ids derived from the key, in one append per batch.
   */
  private accountRows(request: ImportRequest, mapping: ImportMapping, now: string): RowKind<ImportedAccount> {
    const seen = new Set<string>();
    return {
      check: (record, row) => {
        const checked = checkAccountRow(record, row, mapping);
        return checked.ok ? { ok: true, item: checked.account } : checked;
      },
      process: async (items) => {
        const domains = items.flatMap(({ item }) => ('domain' in item.key ? [item.key.domain] : []));
        const names = items.flatMap(({ item }) => ('name' in item.key ? [item.key.name] : []));
        const { rows } = await this.pool.query<{ domain: string | null; name_key: string }>(
          'select domain, name_key from proj_accounts.accounts where domain = any($1::text[]) or name_key = any($2::text[])',
          [domains, names],
        );
        const known = new Set(rows.flatMap((r) => [`domain|${r.domain ?? ''}`, `name|${r.name_key}`]));
        const outcomes: RowOutcome[] = [];
        let pending: Array<{ row: number; item: ImportedAccount }> = [];
        for (const entry of items) {
          const key = 'domain' in entry.item.key ? `domain|${entry.item.key.domain}` : `name|${entry.item.key.name}`;
          if (known.has(key) || seen.has(entry.item.accountId)) outcomes.push({ row: entry.row, outcome: 'matched' });
          else pending.push(entry);
          seen.add(entry.item.accountId);
        }
        for (let attempt = 1; pending.length > 0 && !request.dryRun; attempt++) {
          const appends: StreamAppend[] = pending.map(({ item }) => ({
            streamId: `account-${item.accountId}` as StreamId,
            expectedRevision: 'no_stream',
            events: [{ id: randomUUID(), type: 'AccountRegistered', data: { accountId: item.accountId, ...item.profile, registeredAt: now }, metadata: request.write.metadata }],
          }));
          try {
            const written = await this.store.appendToStreams(appends);
            pending.forEach(({ row }, i) => outcomes.push({ row, outcome: written.streams[i].duplicate ? 'matched' : 'created' }));
            pending = [];
          } catch (error) {
            // Accounts registered since the read model was read (the key's stream exists): matched, the rest written again.
            const taken = error instanceof WrongExpectedRevisionError ? error.conflicts.map((c) => c.appendIndex) : undefined;
            if (!taken || taken.length === 0 || attempt >= MAX_ACCOUNT_ATTEMPTS) throw error;
            for (const i of taken) outcomes.push({ row: pending[i].row, outcome: 'matched' });
            pending = pending.filter((_, i) => !taken.includes(i));
          }
        }
        outcomes.push(...pending.map(({ row }): RowOutcome => ({ row, outcome: 'created' })));
        return outcomes;
      },
    };
  }

  private async runRows<T>(request: ImportRequest, mapping: ImportMapping, csv: Readable, kind: RowKind<T>): Promise<ImportSummary> {
    const job = new ImportJob(this.store, request);
    const counts = { rowsRead: 0, created: 0, matched: 0, failed: 0 };
    let batch: Array<{ row: number; item: T }> = [];
    let errors: ImportRowError[] = [];
    let batchRows = 0;

    const flush = async () => {
      const delta = { rowsRead: batchRows, created: 0, matched: 0, failed: 0 };
      const results = batch.length === 0 ? [] : await kind.process(batch);
      for (const result of results) {
        if (result.outcome === 'failed') errors.push({ row: result.row, field: 'row', message: result.message });
        else delta[result.outcome]++;
      }
      delta.failed = new Set(errors.map((e) => e.row)).size;
      await job.progress({ ...delta, errors: errors.sort((a, b) => a.row - b.row) });
      for (const key of Object.keys(counts) as Array<keyof typeof counts>) counts[key] += delta[key];
      batch = [];
      errors = [];
      batchRows = 0;
    };

    const decoded = decodedAs(request.encoding);
    const parser = csv.pipe(decoded).pipe(parse({ bom: true, columns: (header: string[]) => checkHeader(header, mapping), skip_empty_lines: true, relax_column_count: true, trim: false }));
    // .pipe() does not pass errors on: the parser ends with the check's, and the request is left alone (answered, not reset).
    decoded.once('error', (error) => parser.destroy(error));
    try {
      for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) {
        const row = counts.rowsRead + batchRows + 2;
        batchRows++;
        const checked = kind.check(record, row);
        if (checked.ok) batch.push({ row, item: checked.item });
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
