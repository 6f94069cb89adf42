import { Readable } from 'node:stream';
import type { Page } from './list-query';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** Whether the client asked for CSV (`Accept: text/csv`) rather than JSON. */
export const wantsCsv = (accept: string | string[] | undefined): boolean =>
  (Array.isArray(accept) ? accept.join(',') : (accept ?? '')).toLowerCase().split(',').some((part) => part.trim().startsWith('text/csv'));

/**
 * One CSV field: quoted when it holds a separator, a quote or a line break; a leading `= + - @`
 * (a formula to spreadsheets) is defused with a quote mark, as OWASP advises for CSV exports.
 */
export const csvField = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^[+-]?\d[\d\s().-]*$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export const csvLine = (fields: readonly unknown[]): string => `${fields.map(csvField).join(',')}\r\n`;

/**
 * The whole list as CSV, fetched page after page by keyset (never all rows at once), so memory
 * stays flat whatever the row count; the stream waits for the client between pages.
 */
export const csvStream = <Row>(header: readonly string[], fetchPage: (cursor: string | undefined) => Promise<Page<Row>>, toFields: (row: Row) => unknown[]): Readable =>
  Readable.from(
    (async function* () {
      yield csvLine(header);
      let cursor: string | undefined;
      do {
        const page = await fetchPage(cursor);
        if (page.items.length > 0) yield page.items.map((row) => csvLine(toFields(row))).join('');
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    })(),
    { objectMode: false },
  );

/**
 * What a list route answers: a JSON page, or with `Accept: text/csv` the whole filtered list as a CSV
 * download, returned as a stream for Nest to send (never `reply.send` beside a returned value).
 */
export const answerList = async <Page>(
  reply: { header(name: string, value: string): unknown },
  accept: string | string[] | undefined,
  filename: string,
  page: () => Promise<Page>,
  csv: () => Readable | Promise<Readable>,
): Promise<Page | Readable> => {
  if (!wantsCsv(accept)) return page();
  reply.header('content-type', CSV_CONTENT_TYPE);
  reply.header('content-disposition', `attachment; filename="${filename}"`);
  return csv();
};
