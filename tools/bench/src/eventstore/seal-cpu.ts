/**
 * This process's CPU per event for what a sealed append adds before the query (issue 9's
 * `append.batch.sealed`), without PostgreSQL: prepare, seal and the statement's JSON, against
 * prepare and the JSON alone, so that two versions of libs/personal-data can be compared in
 * separate processes, run by turns:
 *   node tools/bench/seal-cpu.js [events, default 100000]
 * The appends are the bench's: 100 CDNOW purchases of one customer's stream each, keys cached,
 * 8 calls in flight as the bench's 8 writers. CPU is the process's (the sealing thread's included);
 * the wall clock shows what the main thread is left with when the thread runs beside it.
 */
import { prepareAppend, preparedJsonOf, type PreparedEvent } from '@clientela/event-store';
import { PersonalDataProtection } from '@clientela/personal-data';
import { cachedKeyRing } from './cached-keys';
import { CdnowOrders, sealedBenchCatalogue } from './orders';

const ROUNDS = 12;

/** What the store's eventsJson builds from each event: its data and metadata texts. */
const statementText = (events: readonly PreparedEvent[]): number => {
  let length = 0;
  for (const event of events) {
    const json = preparedJsonOf(event);
    length += json.data.length + json.metadata.length;
  }
  return length;
};

export const main = async (count: number): Promise<void> => {
  const catalogue = sealedBenchCatalogue();
  const protection = new PersonalDataProtection(catalogue, cachedKeyRing(), { sealingThread: process.env.SEALING_THREAD !== 'off' });
  const batches = new CdnowOrders().batches(count, 100);
  const cpu = { sealed: 0, plain: 0 };
  const wall = { sealed: 0, plain: 0 };
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const sealing = round % 2 === 1;
    const started = process.cpuUsage();
    const startedAt = process.hrtime.bigint();
    let next = 0;
    const writer = async (): Promise<void> => {
      for (let work = batches[next++]; work !== undefined; work = batches[next++]) {
        // New ids each round, as every append has.
        const prepared = prepareAppend(catalogue, work.streamId, work.events.map((event) => ({ ...event })), 'no_stream');
        const events = sealing ? (await protection.seal([prepared]))[0] : prepared.events;
        bytes += statementText(events);
        // Where the append would wait for the database: the event loop turns (and hears from the sealing thread).
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    const used = process.cpuUsage(started);
    // The first two rounds warm up.
    if (round >= 2) {
      cpu[sealing ? 'sealed' : 'plain'] += used.user + used.system;
      wall[sealing ? 'sealed' : 'plain'] += Number(process.hrtime.bigint() - startedAt) / 1000;
    }
  }
  const per = (us: number) => us / (((ROUNDS - 2) / 2) * count);
  console.log(
    `seal: CPU +${(per(cpu.sealed) - per(cpu.plain)).toFixed(3)} µs/event (prepare, seal and JSON ${per(cpu.sealed).toFixed(2)}, prepare and JSON ${per(cpu.plain).toFixed(2)}); ` +
      `wall +${(per(wall.sealed) - per(wall.plain)).toFixed(3)} µs/event (${per(wall.sealed).toFixed(2)} against ${per(wall.plain).toFixed(2)}); ${count} events, ${(bytes / 1e6).toFixed(0)} MB of text`,
  );
};
