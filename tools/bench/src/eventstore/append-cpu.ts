/**
 * CPU per appended event of each eventstore contender, client and server apart (issue 14): what a
 * shared machine's wall clock cannot show.
 *   node tools/bench/append-cpu.js [events, default 20000] [batch size, default 100] [--no-peer]
 * One writer per contender (a pool of one connection), blocks of 10 calls alternating between
 * the contenders; each block's `process.cpuUsage()` is this process's share, and the CPU of the
 * database's server processes (from /proc, so the server must run on this machine) the server's.
 * Batch size 1 appends one event per call into a stream of its own (the `append.single` shape
 * without the revisions). The WAL written during a block (pg_current_wal_lsn) is counted too: it
 * is the whole server's, so other databases' writes land in it. APPEND_CPU_ONLY=ours (a contender's
 * name) measures that one alone, e.g. under `perf record -a`.
 */
import { Pool } from 'pg';
import { createBenchDatabase, defaultServerUrl } from '../database';
import { Latencies } from '../measure';
import { processCpuUs } from '../processes';
import type { Contender } from './contender';
import { LimitContender } from './limit';
import { CdnowOrders, type StreamWork } from './orders';
import { OursContender } from './ours';
import { EmmettContender } from './peer-emmett';

interface Tally {
  events: number;
  clientUs: number;
  serverUs: number;
  wallMs: number;
  walBytes: number;
}

const CALLS_PER_BLOCK = 10;

export const main = async (events: number, batchSize: number, peer: boolean): Promise<void> => {
  const database = await createBenchDatabase(defaultServerUrl(), 'clientela_append_cpu');
  const admin = new Pool({ connectionString: database.url, max: 1 });
  admin.on('error', () => undefined); // the database is dropped with force at the end
  const contenders: Contender[] = [];
  try {
    contenders.push(await LimitContender.create(database.url, 1));
    contenders.push(await OursContender.create(database.url, 1));
    if (peer) contenders.push(await EmmettContender.create(database.url, 1));
    const only = process.env.APPEND_CPU_ONLY;
    const measured = only ? contenders.filter((c) => c.name === only) : contenders;
    const orders = new CdnowOrders();
    const serverCpuUs = async (): Promise<{ us: number; lsn: string }> => {
      const { rows } = await admin.query<{ pid: number; lsn: string }>(
        `select pid, pg_current_wal_lsn()::text as lsn from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`,
      );
      const { rows: lsn } = await admin.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
      return { us: rows.reduce((sum, row) => sum + (processCpuUs(row.pid) ?? 0), 0), lsn: lsn[0].lsn };
    };
    const walBytes = async (from: string, to: string): Promise<number> =>
      Number((await admin.query<{ d: string }>('select pg_wal_lsn_diff($1, $2)::text as d', [to, from])).rows[0].d);
    const append = (contender: Contender, work: StreamWork): Promise<void> =>
      batchSize === 1 ? contender.appendOneByOne(work, new Latencies()) : contender.appendBatch(work, new Latencies());
    const work = (n: number): StreamWork[] => orders.batches(n, batchSize);
    // Warm-up (JIT, connections, plans), not counted.
    for (const contender of measured) {
      contender.activate();
      for (const w of work(20 * batchSize)) await append(contender, w);
      contender.deactivate();
    }
    const tallies = new Map<string, Tally>(measured.map((c) => [c.name, { events: 0, clientUs: 0, serverUs: 0, wallMs: 0, walBytes: 0 }]));
    const blocks = Math.ceil(events / (batchSize * CALLS_PER_BLOCK));
    for (let block = 0; block < blocks; block++) {
      for (let turn = 0; turn < measured.length; turn++) {
        const contender = measured[(turn + block) % measured.length];
        const calls = work(batchSize * CALLS_PER_BLOCK);
        const tally = tallies.get(contender.name) as Tally;
        contender.activate();
        const server = await serverCpuUs();
        const cpu = process.cpuUsage();
        const started = process.hrtime.bigint();
        for (const w of calls) await append(contender, w);
        tally.wallMs += Number(process.hrtime.bigint() - started) / 1e6;
        const used = process.cpuUsage(cpu);
        const after = await serverCpuUs();
        contender.deactivate();
        tally.clientUs += used.user + used.system;
        tally.serverUs += after.us - server.us;
        tally.walBytes += await walBytes(server.lsn, after.lsn);
        tally.events += calls.reduce((n, c) => n + c.events.length, 0);
      }
    }
    for (const [name, t] of tallies) {
      const per = (x: number): string => (x / Math.max(1, t.events)).toFixed(1);
      console.log(
        `${name.padEnd(6)} ${t.events} events, batch ${batchSize}: client ${per(t.clientUs)} µs/event, server ${per(t.serverUs)} µs/event, ` +
          `wall ${per(1000 * t.wallMs)} µs/event, WAL ${per(t.walBytes)} B/event`,
      );
    }
  } finally {
    for (const contender of contenders) await contender.close().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await database.drop();
  }
};
