import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DATASETS_DIR } from '../paths';

/** One CDNOW purchase: a customer bought `cds` CDs for `dollars` on `date`. See datasets/README.md. */
export interface CdnowTransaction {
  /** The CDNOW customer id, as written in the file (zero-padded). */
  customer: string;
  /** yyyy-mm-dd */
  date: string;
  cds: number;
  dollars: number;
}

export const CDNOW_MASTER = path.join(DATASETS_DIR, 'cdnow', 'cdnow_master.txt');

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
