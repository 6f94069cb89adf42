/**
 * This process's CPU per event for opening sealed events on access (issue 9's `read.all.sealed`),
 * without PostgreSQL: the client's remaining cost of a sealed read, isolated so that two versions of
 * libs/personal-data can be compared in separate processes, run by turns:
 *   node tools/bench/open-cpu.js [events, default 100000] [ballast MB, default 0]
 * Events are the bench's OrderPlaced, sealed as the store seals them and kept as the JSON text
 * PostgreSQL's jsonb gives back (keys by length, then bytes). Each round parses every page (as pg
 * does on a read) and, every other round, opens it on access as the store's read does; what a page
 * costs with opening less what it costs without is what opening costs, its collections included.
 * The ballast (live objects) stands in for a big heap, where young collections cost more.
 */
import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@clientela/contracts';
import { PersonalDataProtection } from '@clientela/personal-data';
import { cachedKeyRing } from './cached-keys';
import { sealedBenchCatalogue } from './orders';

const PAGE = 1_000;
const ROUNDS = 12;

/** jsonb's key order: shorter keys first, then by bytes. */
const jsonbText = (data: Record<string, unknown>): string => {
  const keys = Object.keys(data).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const sorted: Record<string, unknown> = {};
  for (const key of keys) sorted[key] = data[key];
  return JSON.stringify(sorted);
};

interface StoredRow {
  id: string;
  streamId: string;
  data: string;
}

const ballastOf = (megabytes: number): unknown[] => {
  // Small linked objects, about 40 bytes each with their array slot.
  const ballast: unknown[] = [];
  for (let i = 0; i < (megabytes * 1024 * 1024) / 40; i++) ballast.push({ a: i, b: null });
  return ballast;
};

export const main = async (count: number, ballastMb: number): Promise<void> => {
  const ballast = ballastOf(ballastMb);
  const catalogue = sealedBenchCatalogue();
  const protection = new PersonalDataProtection(catalogue, cachedKeyRing());
  // CDNOW-like runs: a customer's orders come together, about 5 a customer.
  const rows: StoredRow[] = [];
  let customer = randomUUID();
  for (let i = 0; i < count; i++) {
    if (i % 5 === 0) customer = randomUUID();
    const streamId = `order-${randomUUID()}`;
    const id = randomUUID();
    const data = {
      orderId: randomUUID(),
      customerId: customer,
      externalCustomerId: String(10_000 + (i % 23_570)),
      placedAt: '1997-01-01T00:00:00.000Z',
      itemCount: 1 + (i % 4),
      totalAmount: 10 + (i % 90),
      currency: 'USD',
      channel: 'web',
    };
    const [[sealed]] = await protection.seal([{ streamId, events: [{ id, type: 'OrderPlaced', data }] }]);
    rows.push({ id, streamId, data: jsonbText(sealed.data) });
  }
  const metadata = '{"actor": "bench", "source": "bench", "occurredAt": "1997-01-01T00:00:00.000Z", "correlationId": "c"}';
  const page = (from: number): RecordedEvent[] =>
    rows.slice(from, from + PAGE).map(
      (row, index) =>
        ({
          id: row.id,
          streamId: row.streamId,
          type: 'OrderPlaced',
          revision: 0,
          position: BigInt(from + index),
          data: JSON.parse(row.data) as Record<string, unknown>,
          metadata: JSON.parse(metadata) as Record<string, unknown>,
          recordedAt: new Date(0),
        }) as unknown as RecordedEvent,
    );
  const cpu = { open: 0, parse: 0 };
  let kept: RecordedEvent[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const opening = round % 2 === 1;
    const started = process.cpuUsage();
    for (let from = 0; from < rows.length; from += PAGE) {
      const events = page(from);
      kept = opening ? await protection.openOnAccess(events) : events;
    }
    const used = process.cpuUsage(started);
    // The first two rounds warm up.
    if (round >= 2) cpu[opening ? 'open' : 'parse'] += used.user + used.system;
  }
  const per = (us: number) => us / (((ROUNDS - 2) / 2) * rows.length);
  console.log(
    `open on access: ${(per(cpu.open) - per(cpu.parse)).toFixed(3)} µs/event (page with opening ${per(cpu.open).toFixed(2)}, without ${per(cpu.parse).toFixed(2)}); ` +
      `${count} events, ballast ${ballastMb} MB, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB, kept ${kept.length}, ${ballast.length > 0 ? 'with' : 'no'} ballast`,
  );
};
