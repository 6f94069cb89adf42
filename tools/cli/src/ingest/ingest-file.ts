import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ValidationError } from '@clientela/contracts';

export type IngestFileFormat = 'ndjson' | 'cdnow';

/** One line of the file: the message it holds, or why it holds none. */
export type IngestLine = { line: number; message: unknown } | { line: number; error: string };

/**
 * The CDNOW files (datasets/cdnow): the master file (a header, then customer id, yyyymmdd, CDs,
 * dollars) or the 1/10 sample (no header; master customer id, sample customer id, yyyymmdd, CDs,
 * dollars). Each purchase becomes an OrderPlaced ingest message from source `cdnow`, the customer's
 * CDNOW id as external id; a customer can buy twice a day, so the id is customer, day and the
 * purchase's place among that day's (the files are ordered by customer, then date): the same file
 * sent twice gives the same ids, which ingest answers as duplicates.
 */
export class CdnowConverter {
  private day = '';
  private n = 0;

  convert(text: string): unknown | undefined {
    const fields = text.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') return undefined;
    if (fields[0] === 'customer_id') return undefined; // the master file's header
    const [customer, date, cds, dollars] = fields.length === 5 ? [fields[0], fields[2], fields[3], fields[4]] : fields;
    if (fields.length < 4 || fields.length > 5 || !/^\d+$/.test(customer) || !/^\d{8}$/.test(date) || !/^\d+$/.test(cds) || !/^\d+(\.\d+)?$/.test(dollars)) {
      throw new ValidationError(`not a CDNOW line (customer id, [sample id,] yyyymmdd, CDs, dollars): ${JSON.stringify(text.trim().slice(0, 200))}`);
    }
    const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
    const day = `${customer}-${iso}`;
    this.n = day === this.day ? this.n + 1 : 1;
    this.day = day;
    const id = `${day}-${this.n}`;
    const quantity = Math.max(Number(cds), 1);
    const amount = Number(dollars);
    return {
      id,
      type: 'OrderPlaced',
      occurredAt: `${iso}T00:00:00Z`,
      source: 'cdnow',
      customer: { externalId: customer },
      data: { orderId: id, lines: [{ sku: 'CD', quantity, unitPrice: Math.round((amount / quantity) * 10_000) / 10_000 }], amount, currency: 'USD' },
    };
  }
}

/** The file's messages one line at a time (a file of any size in constant memory). */
export async function* readIngestFile(file: string, format: IngestFileFormat): AsyncGenerator<IngestLine> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const cdnow = new CdnowConverter();
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      const message = format === 'cdnow' ? cdnow.convert(text) : JSON.parse(text);
      if (message !== undefined) yield { line, message };
    } catch (error) {
      yield { line, error: error instanceof SyntaxError ? `not JSON: ${error.message}` : error instanceof Error ? error.message : String(error) };
    }
  }
}

/** Messages in the file, for the progress bar (a first pass that keeps nothing). */
export const countLines = async (file: string): Promise<number> => {
  let count = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (text.trim() !== '') count++;
  return count;
};
