import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCdnowLine, streamId, type CdnowPurchase } from '@clientela/contracts';
import type { StreamAppend } from '@clientela/event-store';
import { DATASETS_DIR } from '../../paths';

/** Every purchase of cdnow_master (69,659). */
export const masterPurchases = (): CdnowPurchase[] =>
  readFileSync(join(DATASETS_DIR, 'cdnow', 'cdnow_master.txt'), 'utf8')
    .split('\n')
    .flatMap((line) => parseCdnowLine(line) ?? []);

/** cdnow_master as `CustomerOrderPlaced` appends, `batch` a call, then its customers' histories cloned under new customer ids until `events` orders. */
export function* orderAppends(purchases: readonly CdnowPurchase[], events: number, batch: number): Generator<StreamAppend[]> {
  let made = 0;
  let clone = 0;
  let appends: StreamAppend[] = [];
  while (made < events) {
    const customers = new Map<string, string>();
    for (const p of purchases) {
      if (made >= events) break;
      let customerId = customers.get(p.customer);
      if (!customerId) customers.set(p.customer, (customerId = randomUUID()));
      const orderId = `${clone}-${p.customer}-${p.date}-${made}`;
      const amount = p.dollars.toFixed(2);
      const data = { customerId, source: 'cdnow', sourceEventId: orderId, occurredAt: `${p.date}T00:00:00Z`, orderId, lines: [{ sku: 'CD', quantity: Math.max(p.cds, 1), unitPrice: amount }], amount, currency: 'USD' };
      appends.push({ streamId: streamId('order'), expectedRevision: 'no_stream', events: [{ type: 'CustomerOrderPlaced', data }] });
      made += 1;
      if (appends.length === batch) {
        yield appends;
        appends = [];
      }
    }
    clone += 1;
  }
  if (appends.length > 0) yield appends;
}
