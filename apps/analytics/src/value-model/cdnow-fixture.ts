import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCdnowLine } from '@clientela/contracts';
import type { PurchaseDay } from './customer-summary';

/** A CDNOW file of datasets/cdnow as purchase days (same-day purchases summed), sorted by customer and day. */
export const cdnowPurchaseDays = (file: 'cdnow_sample.txt' | 'cdnow_master.txt'): PurchaseDay[] => {
  const byDay = new Map<string, PurchaseDay>();
  for (const line of readFileSync(join(__dirname, '..', '..', '..', '..', 'datasets', 'cdnow', file), 'utf8').split('\n')) {
    const purchase = parseCdnowLine(line);
    if (!purchase) continue;
    const key = `${purchase.customer}|${purchase.date}`;
    const day = byDay.get(key);
    if (day) day.value += purchase.dollars;
    else byDay.set(key, { customerId: purchase.customer, day: purchase.date, value: purchase.dollars });
  }
  return [...byDay.values()].sort((p, q) => (p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : p.day < q.day ? -1 : p.day > q.day ? 1 : 0));
};
