import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** One CDNOW purchase: a customer bought `cds` CDs for `dollars` on `date`. See datasets/README.md. */
export interface CdnowTransaction {
  /** The CDNOW customer id, as written in the file (zero-padded). */
  customer: string;
  /** yyyy-mm-dd */
  date: string;
  cds: number;
  dollars: number;
}

export const CDNOW_MASTER = path.join(__dirname, '..', '..', '..', '..', 'datasets', 'cdnow', 'cdnow_master.txt');

/** Parses the whitespace-separated file: one header line, then customer id, yyyymmdd, number of CDs, dollar value. */
export const parseCdnow = (text: string): CdnowTransaction[] => {
  const transactions: CdnowTransaction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const [customer, day, cds, dollars] = line.split(/\s+/);
    if (!/^\d+$/.test(customer ?? '') || !/^\d{8}$/.test(day ?? '') || dollars === undefined) {
      throw new Error(`cdnow line ${i + 1} is malformed: ${JSON.stringify(lines[i])}`);
    }
    transactions.push({
      customer,
      date: `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`,
      cds: Number(cds),
      dollars: Number(dollars),
    });
  }
  return transactions;
};

let cached: CdnowTransaction[] | undefined;

/** The full CDNOW cohort (69,659 transactions of 23,570 customers), in file order (by customer, then date). */
export const loadCdnow = (file = CDNOW_MASTER): CdnowTransaction[] => {
  if (file !== CDNOW_MASTER) return parseCdnow(readFileSync(file, 'utf8'));
  cached ??= parseCdnow(readFileSync(file, 'utf8'));
  return cached;
};

/** A stable UUID (version 5 layout) for a CDNOW customer: the same customer always maps to the same contact id. */
export const customerUuid = (customer: string): string => {
  const hex = createHash('sha1').update(`cdnow:customer:${customer}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** A CDNOW purchase as an OrderPlaced message of the ingest contract (what a shop would publish). */
export interface CdnowOrderMessage {
  id: string;
  type: 'OrderPlaced';
  occurredAt: string;
  source: 'cdnow';
  customer: { externalId: string };
  data: { orderId: string; lines: Array<{ sku: string; quantity: number; unitPrice: number }>; amount: number; currency: 'USD' };
}

/**
 * Each line of the file becomes one order, with the CDNOW customer id as external id. A customer
 * can buy more than once a day: the id is customer, day and the purchase's place among that day's.
 */
export const cdnowOrderMessages = (transactions: readonly CdnowTransaction[] = loadCdnow()): CdnowOrderMessage[] => {
  const seen = new Map<string, number>();
  return transactions.map((t) => {
    const day = `${t.customer}-${t.date}`;
    const n = (seen.get(day) ?? 0) + 1;
    seen.set(day, n);
    const id = `${day}-${n}`;
    const quantity = Math.max(t.cds, 1);
    return {
      id,
      type: 'OrderPlaced',
      occurredAt: `${t.date}T00:00:00Z`,
      source: 'cdnow',
      customer: { externalId: t.customer },
      data: { orderId: id, lines: [{ sku: 'CD', quantity, unitPrice: Math.round((t.dollars / quantity) * 10_000) / 10_000 }], amount: t.dollars, currency: 'USD' },
    };
  });
};
