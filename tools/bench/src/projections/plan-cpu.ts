/**
 * This process's CPU per event for planning a rebuild's writes (projecting, merging a batch's row
 * changes, building the statements and their JSON parameter), without PostgreSQL: the Node side of
 * `projections.rebuild` beside reading, isolated so that two versions of libs/projections can be
 * compared in separate processes, run by turns:
 *   node tools/bench/plan-cpu.js [events, default 200000] [batch, default 2000]
 * Events are the projections bench's timeline (CDNOW histories ordered by day, 5 % refunds) as
 * RecordedEvents, projected by its customer_revenue projection.
 */
import { planProjectionWrites } from '@clientela/projections';
import type { RecordedEvent, StreamId } from '@clientela/contracts';
import { customerRevenueProjection } from '../../../../libs/projections/src/testing/sample-orders';
import { OrderTimeline } from './orders';

const ROUNDS = 7;

export const main = (count: number, batch: number): void => {
  const timeline = new OrderTimeline(count);
  const events: RecordedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const e = timeline.event(i);
    events.push({
      id: `e${i}`,
      type: e.type,
      streamId: `order-${i}` as StreamId,
      revision: 0,
      position: BigInt(i + 1),
      data: e.data,
      metadata: { schemaVersion: 1 },
      recordedAt: new Date(),
    });
  }
  const projection = customerRevenueProjection();
  const perRound: number[] = [];
  let statements = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.cpuUsage();
    for (let from = 0; from < count; from += batch) {
      const planned = planProjectionWrites(projection, events.slice(from, from + batch));
      statements += planned?.statements.length ?? 0;
    }
    const used = process.cpuUsage(started);
    perRound.push((used.user + used.system) / count);
  }
  const sorted = [...perRound].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: 'projections.plan_cpu',
      us_per_event: Number(sorted[Math.floor(sorted.length / 2)].toFixed(3)),
      rounds: perRound.map((r) => Number(r.toFixed(3))).join(','),
      events: count,
      batch,
      statements_per_batch: Number((statements / ROUNDS / Math.ceil(count / batch)).toFixed(1)),
    }),
  );
};
