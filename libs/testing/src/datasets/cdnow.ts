import { createHash } from 'node:crypto';
import { CdnowConverter, parseCdnowLine, type CdnowOrderMessage, type CdnowPurchase } from '@clientela/contracts';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** One CDNOW purchase: a customer bought `cds` CDs for `dollars` on `date`. See datasets/README.md. */
export type CdnowTransaction = CdnowPurchase;

export const CDNOW_MASTER = path.join(__dirname, '..', '..', '..', '..', 'datasets', 'cdnow', 'cdnow_master.txt');

/** Parses either CDNOW file (the contracts' parser, line by line). */
export const parseCdnow = (text: string): CdnowTransaction[] =>
  text.split(/\r?\n/).flatMap((line) => {
    const purchase = parseCdnowLine(line);
    return purchase ? [purchase] : [];
  });

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

/** Each purchase as an OrderPlaced ingest message (the contracts' converter: the CLI sends the same). */
export const cdnowOrderMessages = (transactions: readonly CdnowTransaction[] = loadCdnow()): CdnowOrderMessage[] => {
  const converter = new CdnowConverter();
  return transactions.map((purchase) => converter.message(purchase));
};
