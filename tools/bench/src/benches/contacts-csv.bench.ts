import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { request } from 'undici';
import { startServiceProcess, stopServiceProcess } from '@clientela/launcher';
import { freePort } from '@clientela/testing';
import { REPO_ROOT } from '../paths';
import { peakRssMiB } from '../processes';
import { perSecond, round } from '../measure';
import { registerBench, type BenchContext } from '../registry';

const HEAP_CAP_MIB = 160;

/** Peak resident memory of the service (VmHWM), in MiB: it must still run. */
const servicePeakRssMiB = (pid: number): number => {
  const peak = peakRssMiB(pid);
  if (peak === undefined) throw new Error(`contacts-csv: process ${pid} has ended`);
  return peak;
};

const waitForTables = async (client: Client): Promise<void> => {
  for (let i = 0; i < 600; i++) {
    const { rowCount } = await client.query("select 1 from information_schema.tables where table_schema = 'proj_contacts' and table_name = 'contact_identities'");
    if (rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('contacts-csv bench: the contacts read model was never created');
};

/** Contacts straight into the read model (the export reads only that): tag `small` on the first `small` of them. */
const seed = async (client: Client, total: number, small: number): Promise<void> => {
  await client.query(
    `insert into proj_contacts.contacts (id, given_name, family_name, city, country, lifecycle_stage, registered_at, updated_at, revision)
     select md5('c' || i)::uuid, 'Given' || i, 'Family, "' || i || '"', 'City ' || (i % 100), 'DE', 'customer', now() - i * interval '1 minute', now(), 3
     from generate_series(1, $1) i`,
    [total],
  );
  await client.query(`insert into proj_contacts.contact_emails (contact_id, email, ordinal) select md5('c' || i)::uuid, 'person' || i || '@example.com', 0 from generate_series(1, $1) i`, [total]);
  await client.query(`insert into proj_contacts.contact_tags (contact_id, tag) select md5('c' || i)::uuid, 'large' from generate_series(1, $1) i`, [total]);
  await client.query(`insert into proj_contacts.contact_tags (contact_id, tag) select md5('c' || i)::uuid, 'small' from generate_series(1, $1) i`, [small]);
  await client.query(`insert into proj_contacts.contact_identities (contact_id, source, external_id) select md5('c' || i)::uuid, 'shop', 'S-' || i from generate_series(1, $1) i`, [total]);
  await client.query('analyze');
};

const exportCsv = async (port: number, tag: string): Promise<{ rows: number; bytes: number; ms: number }> => {
  const started = performance.now();
  const response = await request(`http://127.0.0.1:${port}/api/v1/contacts?tag=${tag}`, { headers: { accept: 'text/csv' } });
  if (response.statusCode !== 200) throw new Error(`contacts-csv bench: export answered ${response.statusCode}: ${await response.body.text()}`);
  let bytes = 0;
  let rows = -1; // the header line
  await pipeline(
    response.body,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
        done();
      },
    }),
  );
  return { rows, bytes, ms: performance.now() - started };
};

/**
 * The CSV export streams in constant memory: the contacts service (its own process, as `npm start` runs
 * it) exports a small list, then a list ten times larger; its peak RSS after each is compared.
 */
const runContactsCsvBench = async (context: BenchContext): Promise<void> => {
  const large = context.options.events ?? (context.options.quick ? 10_000 : 100_000);
  const small = Math.max(1, Math.round(large / 10));
  const database = await context.createDatabase('clientela_bench_csv');
  const port = await freePort();
  const service = startServiceProcess({
    name: 'contacts',
    root: REPO_ROOT,
    // A capped heap: V8 otherwise lets garbage pile up to hundreds of MiB before a full collection, which
    // says nothing about what the export holds. Under the cap, an export that kept its rows would fail.
    env: { DATABASE_URL: database.url, PORT: String(port), LOG_LEVEL: 'warn', NODE_OPTIONS: `--max-old-space-size=${HEAP_CAP_MIB}` },
    output: process.stderr,
  });
  context.onCleanup(() => stopServiceProcess(service));
  await service.ready;
  const client = new Client({ connectionString: database.url });
  await client.connect();
  context.onCleanup(() => client.end());
  await waitForTables(client);
  context.log(`contacts-csv: seeding ${large} contacts`);
  await seed(client, large, small);
  const pid = service.child.pid as number;
  await exportCsv(port, 'small'); // warm-up: code paths compiled, pools filled
  const before = servicePeakRssMiB(pid);
  const smallRun = await exportCsv(port, 'small');
  const afterSmall = servicePeakRssMiB(pid);
  const largeRun = await exportCsv(port, 'large');
  const afterLarge = servicePeakRssMiB(pid);
  if (smallRun.rows !== small || largeRun.rows !== large) throw new Error(`contacts-csv bench: exported ${smallRun.rows}/${largeRun.rows} rows, expected ${small}/${large}`);
  context.emit({
    bench: 'contacts-csv.export',
    rows_small: small,
    rows_large: large,
    ours_per_s: perSecond(largeRun.rows, largeRun.ms),
    mib_large: round(largeRun.bytes / 1024 / 1024, 1),
    peak_rss_mib_warm: before,
    peak_rss_mib_small: afterSmall,
    peak_rss_mib_large: afterLarge,
    // 1.0 when ten times the rows took no more memory at peak.
    rss_growth: round(afterLarge / afterSmall, 3),
    heap_cap_mib: HEAP_CAP_MIB,
  });
};

registerBench({
  name: 'contacts-csv',
  description: 'CSV export of the contacts service (own process): rows/s, and peak RSS after a small and a ten times larger export (constant memory)',
  run: runContactsCsvBench,
});
