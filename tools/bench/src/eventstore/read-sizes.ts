/**
 * The sealed read beside the plain one in a database of their own, with the plain store's size as a
 * parameter: what issue 9's `read.all.sealed` ratio owes to the stores it compares, not to opening.
 *   node tools/bench/read-sizes.js [events in each store, default 200000] [more in the plain one, default 0] [rounds, default 4]
 * Both stores get the same CDNOW batch appends; the plain one then `more` besides (the bench's plain
 * store holds its single and multi-stream appends too: 426,400 events against the sealed 201,000).
 * Rounds read everything forwards by pages of 1,000, the two stores back to back, which first alternating.
 */
import { createBenchDatabase, defaultServerUrl } from '../database';
import { collectGarbage, Latencies, measure, median, perSecond, ratio, runConcurrently } from '../measure';
import { CdnowOrders } from './orders';
import { OursContender } from './ours';

export const main = async (events: number, more: number, rounds: number): Promise<void> => {
  const database = await createBenchDatabase(defaultServerUrl());
  try {
    const plain = await OursContender.create(database.url, 8);
    const sealed = await OursContender.create(database.url, 8, { sealed: true });
    const work = new CdnowOrders().batches(events, 100);
    for (const store of [plain, sealed]) await runConcurrently(8, work, (w) => store.appendBatch(w, new Latencies()));
    if (more > 0) await runConcurrently(8, new CdnowOrders().batches(more, 100), (w) => plain.appendBatch(w, new Latencies()));
    await plain.store.pool.query('vacuum analyze');
    const ratios: number[] = [];
    // Round 0 warms up (the sealed store's key cache, the server's buffers).
    for (let round = 0; round <= rounds; round++) {
      const rates = new Map<OursContender, number>();
      for (const store of round % 2 === 0 ? [plain, sealed] : [sealed, plain]) {
        await collectGarbage();
        const { result: read, ms, cpuS } = await measure(() => store.readAll(1_000));
        rates.set(store, perSecond(read, ms));
        console.log(`${store.name} round ${round}: ${read} events in ${ms.toFixed(0)} ms, ${((cpuS * 1e6) / read).toFixed(2)} µs of CPU an event`);
      }
      if (round > 0) ratios.push(ratio(rates.get(sealed) ?? 0, rates.get(plain) ?? 0));
    }
    console.log(`sealed / plain: ${median(ratios)} (rounds ${ratios.join(', ')}); ${events} events sealed, ${events + more} plain`);
    await Promise.all([plain.close(), sealed.close()]);
  } finally {
    await database.drop();
  }
};
