/**
 * This process's CPU per appended and per read event, our store with personal data sealed beside
 * the same store without (issue 9): the client's share of `eventstore.*.sealed`, without the noise
 * of a shared machine's wall clock. One writer, calls alternating between the two stores, each call's
 * `process.cpuUsage()` counted for its store:
 *   node tools/bench/sealing-cpu.js [events, default 40000]
 * Appends go in 100-event batches over the CDNOW purchases twice (the first pass makes the sealed
 * store's keys, the second finds them cached), then each store reads everything in pages of 1,000.
 */
import { START, streamId, type Position } from '@clientela/contracts';
import { createBenchDatabase, defaultServerUrl } from '../database';
import { Latencies } from '../measure';
import { CdnowOrders, type StreamWork } from './orders';
import { OursContender } from './ours';

interface Tally {
  events: number;
  cpuUs: number;
  wallMs: number;
}

const timed = async (tally: Tally, events: number, work: () => Promise<number | void>): Promise<void> => {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const counted = await work();
  const used = process.cpuUsage(cpu);
  tally.wallMs += Number(process.hrtime.bigint() - started) / 1e6;
  tally.cpuUs += used.user + used.system;
  tally.events += typeof counted === 'number' ? counted : events;
};

const line = (what: string, ours: Tally, sealed: Tally): string => {
  const per = (t: Tally): number => t.cpuUs / Math.max(1, t.events);
  const wall = (t: Tally): number => (1000 * t.wallMs) / Math.max(1, t.events);
  return `${what.padEnd(22)} cpu µs/event: ours ${per(ours).toFixed(2)}, sealed ${per(sealed).toFixed(2)}, sealing +${(per(sealed) - per(ours)).toFixed(2)}; wall µs/event ${wall(ours).toFixed(1)} / ${wall(sealed).toFixed(1)}`;
};

const tally = (): Tally => ({ events: 0, cpuUs: 0, wallMs: 0 });

export const main = async (events: number): Promise<void> => {
  const database = await createBenchDatabase(defaultServerUrl(), 'clientela_sealing_cpu');
  const ours = await OursContender.create(database.url, 2);
  const sealed = await OursContender.create(database.url, 2, { sealed: true });
  try {
    const batches = new CdnowOrders().batches(events, 100);
    const again = (work: StreamWork): StreamWork => ({ streamId: streamId('order'), events: work.events });
    // Warm-up of both (JIT, connections), not counted.
    for (const work of batches.slice(0, 20)) {
      await ours.appendBatch(again(work), new Latencies());
      await sealed.appendBatch(again(work), new Latencies());
    }
    for (const [pass, label] of [
      [1, 'append, new keys'],
      [2, 'append, keys cached'],
    ] as const) {
      const o = tally();
      const s = tally();
      for (const work of batches) {
        const next = pass === 1 ? work : again(work);
        await timed(o, next.events.length, () => ours.store.append(next.streamId, next.events, { expectedRevision: 'no_stream' }).then(() => undefined));
        await timed(s, next.events.length, () => sealed.store.append(next.streamId, next.events, { expectedRevision: 'no_stream' }).then(() => undefined));
      }
      console.log(line(label, o, s));
    }
    for (let round = 1; round <= 2; round++) {
      const o = tally();
      const s = tally();
      const from: Record<'ours' | 'sealed', Position> = { ours: START, sealed: START };
      let done = { ours: false, sealed: false };
      while (!done.ours || !done.sealed) {
        for (const [name, contender, t] of [
          ['ours', ours, o],
          ['sealed', sealed, s],
        ] as const) {
          if (done[name]) continue;
          await timed(t, 0, async () => {
            const page = await contender.store.readAll({ fromPosition: from[name], maxCount: 1_000 });
            from[name] = page.nextPosition;
            done = { ...done, [name]: page.isEnd };
            return page.events.length;
          });
        }
      }
      console.log(line(`read, round ${round}`, o, s));
    }
  } finally {
    await ours.close();
    await sealed.close();
    await database.drop();
  }
};
