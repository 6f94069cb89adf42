import { ValidationError } from '../errors';

/**
 * The CDNOW transaction files (datasets/cdnow, the classic customer-base data set): the master
 * file (a header, then customer id, yyyymmdd, CDs, dollars) or the 1/10 sample (no header; master
 * customer id, sample customer id, yyyymmdd, CDs, dollars). One converter for the CLI, the tests
 * and the benches, so that the same purchase is always the same ingest message.
 */
export interface CdnowPurchase {
  /** The CDNOW customer id as written (zero-padded). */
  customer: string;
  /** yyyy-mm-dd */
  date: string;
  cds: number;
  dollars: number;
}

/** A CDNOW purchase as an OrderPlaced message of the ingest contract (what a shop would publish). */
export interface CdnowOrderMessage {
  id: string;
  type: 'OrderPlaced';
  occurredAt: string;
  source: 'cdnow';
  customer: { externalId: string };
  data: { orderId: string; lines: Array<{ sku: string; quantity: number; unitPrice: number }>; amount: number; currency: 'USD' };
}

/** One line of either file: its purchase, undefined for a blank line or the header; a ValidationError otherwise. */
export const parseCdnowLine = (text: string): CdnowPurchase | undefined => {
  const fields = text.trim().split(/\s+/);
  if (fields.length === 1 && fields[0] === '') return undefined;
  if (fields[0] === 'customer_id') return undefined; // the master file's header
  const [customer, date, cds, dollars] = fields.length === 5 ? [fields[0], fields[2], fields[3], fields[4]] : fields;
  if (fields.length < 4 || fields.length > 5 || !/^\d+$/.test(customer) || !/^\d{8}$/.test(date) || !/^\d+$/.test(cds) || !/^\d+(\.\d+)?$/.test(dollars)) {
    throw new ValidationError(`not a CDNOW line (customer id, [sample id,] yyyymmdd, CDs, dollars): ${JSON.stringify(text.trim().slice(0, 200))}`);
  }
  return { customer, date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`, cds: Number(cds), dollars: Number(dollars) };
};

/**
 * Turns purchases, in file order (by customer, then date), into ingest messages. Each purchase is
 * one order from source `cdnow` with the customer's CDNOW id as external id; a customer can buy
 * twice a day, so the id is customer, day and the purchase's place among that day's: the same file
 * sent twice gives the same ids, which ingest answers as duplicates.
 */
export class CdnowConverter {
  private day = '';
  private n = 0;

  /** A line of either file; undefined for a blank line or the header. */
  convert(text: string): CdnowOrderMessage | undefined {
    const purchase = parseCdnowLine(text);
    return purchase && this.message(purchase);
  }

  message(purchase: CdnowPurchase): CdnowOrderMessage {
    const day = `${purchase.customer}-${purchase.date}`;
    this.n = day === this.day ? this.n + 1 : 1;
    this.day = day;
    const id = `${day}-${this.n}`;
    const quantity = Math.max(purchase.cds, 1);
    return {
      id,
      type: 'OrderPlaced',
      occurredAt: `${purchase.date}T00:00:00Z`,
      source: 'cdnow',
      customer: { externalId: purchase.customer },
      data: {
        orderId: id,
        lines: [{ sku: 'CD', quantity, unitPrice: Math.round((purchase.dollars / quantity) * 10_000) / 10_000 }],
        amount: purchase.dollars,
        currency: 'USD',
      },
    };
  }
}
