import { createHash, randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { request } from 'undici';
import { CustomerOrderPlaced, EventCatalogue, START, type CdnowOrderMessage, type NewEvent, type StreamId } from '@clientela/contracts';
import { DataKeyRing, generateMasterKey, migrateDataKeys, parseMasterKeys, PersonalDataProtection, SealingWorker } from '@clientela/personal-data';
import { PostgresEventStore, type StreamAppend } from '@clientela/event-store';
import { startServiceProcess, stopServiceProcess } from '@clientela/launcher';
import { cdnowOrderMessages, freePort, refusedPort } from '@clientela/testing';
// The gateway's route table: every service it routes must have a URL, and this bench runs only contacts.
import { ROUTES } from '../../../../apps/gateway/src/routing/routes';
// The contacts service's catalogue: what its ingest writes, for the store to write it again alone.
import { contactsService } from '../../../../apps/contacts/src/contacts-service';
import { REPO_ROOT } from '../paths';
import { measure, perSecond, ratio, round, runConcurrently } from '../measure';
import { processCpuUs } from '../processes';
import { registerBench, type BenchContext } from '../registry';
import { UNREFUSING_RATE_LIMIT } from '../gateway-env';
import { profileEnv, profileWindow } from '../service-profiles';

const BATCH = 1_000;
const ADMIN_KEY = 'bench-ingest-admin-key-0123456789abcdef';

/** CPU seconds (user + system) a process has used, from /proc; NaN (null in the line) once it has gone. */
const serviceCpuSeconds = (pid: number | undefined): number => (pid === undefined ? 0 : round((processCpuUs(pid) ?? Number.NaN) / 1e6, 1));

const countContacts = async (client: Client): Promise<number> => {
  const { rows } = await client.query<{ n: string }>(
    "select case when to_regclass('proj_contacts.contacts') is null then '0' else (select count(*)::text from proj_contacts.contacts) end as n",
  );
  return Number(rows[0].n);
};

/** Contacts at its port; the other routed services at a port nothing listens on (the bench calls only /events). */
const serviceUrls = (contactsPort: number, closedPort: number): string =>
  [...new Set(Object.values(ROUTES))].map((name) => `${name}=http://127.0.0.1:${name === 'contacts' ? contactsPort : closedPort}`).join(',');

/**
 * A store on a database of its own (`name`, `_sealed` added when sealed), a connection per call in
 * flight. `sealed`: with personal data protection as the services run it (keys in PostgreSQL), its
 * sealing thread up before the clock starts, as in a service that has been appending.
 */
const storeOfItsOwn = async (context: BenchContext, name: string, catalogue: EventCatalogue, concurrency: number, sealed: boolean): Promise<PostgresEventStore> => {
  const database = await context.createDatabase(sealed ? `${name}_sealed` : name);
  const pool = new Pool({ connectionString: database.url, max: concurrency });
  pool.on('error', () => undefined); // the database is dropped with force at the end
  context.onCleanup(() => pool.end());
  let personalData: PersonalDataProtection | undefined;
  if (sealed) {
    await migrateDataKeys(pool);
    personalData = new PersonalDataProtection(catalogue, new DataKeyRing(pool, parseMasterKeys(generateMasterKey())));
    await SealingWorker.shared().ready();
  }
  const store = await PostgresEventStore.create({ pool, catalogue, personalData });
  context.onCleanup(() => store.close());
  return store;
};

/**
 * The store's own batch append of the messages as `CustomerOrderPlaced` events, 1,000 per append
 * and stream, `concurrency` in flight, on a database of its own. `sealed`: with personal data
 * protection as the services run it (keys in PostgreSQL, each event under its customer's contact);
 * `CustomerOrderPlaced` holds no personal field, so it seals nothing and only costs the check.
 */
const measureLimit = async (context: BenchContext, batches: CdnowOrderMessage[][], concurrency: number, sealed: boolean) => {
  const store = await storeOfItsOwn(context, 'clientela_bench_ingest_limit', new EventCatalogue([CustomerOrderPlaced]), concurrency, sealed);
  return measure(() =>
    runConcurrently(concurrency, batches.map((batch, index) => ({ batch, index })), async ({ batch, index }) => {
      const events = batch.map((m) => ({
        type: 'CustomerOrderPlaced',
        data: { customerId: contactOf(m), source: m.source, sourceEventId: m.id, occurredAt: m.occurredAt, orderId: m.data.orderId, lines: [{ sku: 'CD', quantity: m.data.lines[0].quantity, unitPrice: String(m.data.lines[0].unitPrice) }], amount: String(m.data.amount), currency: 'USD' },
      }));
      await store.append(`order-${String(index).padStart(8, '0')}-0000-4000-8000-000000000000` as StreamId, events, { expectedRevision: 'no_stream' });
    }),
  );
};

/** One appendToStreams call of the ingest run: its StreamAppends, and how many events they hold. */
interface WrittenCall {
  appends: StreamAppend[];
  events: number;
}

/**
 * What ingest wrote, read back opened (the service's master key) and cut into the calls that wrote it:
 * one `appendToStreams` is one transaction (a position is the transaction id above 64 bits of
 * sequence), and within it each run of one stream's events one StreamAppend, expecting the revision
 * before it (`no_stream` at 0), as identity resolution plans them.
 */
const writtenCalls = async (databaseUrl: string, masterKey: string): Promise<WrittenCall[]> => {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  const store = await PostgresEventStore.create({
    pool,
    catalogue: contactsService.catalogue,
    personalData: new PersonalDataProtection(contactsService.catalogue, new DataKeyRing(pool, parseMasterKeys(masterKey))),
  });
  const calls: WrittenCall[] = [];
  let transaction: bigint | undefined;
  let last: { streamId: string; events: NewEvent[] } | undefined;
  try {
    for (let from = START, end = false; !end; ) {
      const page = await store.readAll({ fromPosition: from, maxCount: 5_000 });
      for (const event of page.events) {
        if (event.position >> 64n !== transaction) {
          transaction = event.position >> 64n;
          calls.push({ appends: [], events: 0 });
          last = undefined;
        }
        const call = calls[calls.length - 1];
        if (last?.streamId !== event.streamId) {
          last = { streamId: event.streamId, events: [] };
          call.appends.push({ streamId: event.streamId as StreamId, events: last.events, expectedRevision: event.revision === 0 ? 'no_stream' : event.revision - 1 });
        }
        // Stored metadata carries the catalogue's stamp, which the store adds again.
        const { schemaVersion: _stamp, ...metadata } = event.metadata;
        last.events.push({ id: event.id, type: event.type, data: event.data, metadata });
        call.events++;
      }
      from = page.nextPosition;
      end = page.isEnd;
    }
  } finally {
    await store.close();
    await pool.end();
  }
  return calls;
};

/**
 * The store alone writing what ingest wrote, call for call, `concurrency` calls in flight, on a
 * database of its own: how fast ingest could be if identity resolution, the HTTP hops and the read
 * models cost nothing. `sealed`: as the service seals it (a key made for every new person).
 */
const measureStoreOnly = async (context: BenchContext, calls: readonly WrittenCall[], concurrency: number, sealed: boolean) => {
  const store = await storeOfItsOwn(context, 'clientela_bench_ingest_store_only', contactsService.catalogue, concurrency, sealed);
  return measure(() => runConcurrently(concurrency, calls, async (call) => void (await store.appendToStreams(call.appends))));
};

/** A contact id per CDNOW customer, so the sealed limit has a subject per customer as ours does. */
const contactOf = (message: CdnowOrderMessage): string => {
  const hex = createHash('sha1').update(`bench|${message.customer.externalId ?? ''}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/**
 * cdnow_master through `POST /api/v1/events` at the gateway (the contacts service and the gateway
 * as their own processes, as `npm start` runs them), batches of 1,000, `concurrency` in flight:
 * ingest messages per second from the first request until the contacts read model holds every
 * customer. Beside it, in the same run, the event store's own batch append of as many events
 * (1,000 per append, one stream each) on a database of its own: the limit.
 */
const runIngestBench = async (context: BenchContext): Promise<void> => {
  const all = cdnowOrderMessages();
  const messages = context.options.quick ? all.slice(0, 5_000) : all.slice(0, context.options.events ?? all.length);
  const customers = new Set(messages.map((m) => m.customer.externalId)).size;
  const concurrency = context.options.concurrency ?? 2;

  const database = await context.createDatabase('clientela_bench_ingest');
  const contactsPort = await freePort();
  const gatewayPort = await freePort();
  // Personal data sealed, as npm start runs the services.
  const masterKey = randomBytes(32).toString('base64');
  const contacts = startServiceProcess({ name: 'contacts', root: REPO_ROOT, env: { DATABASE_URL: database.url, PORT: String(contactsPort), LOG_LEVEL: 'warn', CLIENTELA_MASTER_KEY: masterKey, ...profileEnv('contacts') }, output: process.stderr });
  context.onCleanup(() => stopServiceProcess(contacts));
  await contacts.ready;
  const gateway = startServiceProcess({
    name: 'gateway',
    root: REPO_ROOT,
    // A 1,000-message batch can outlast the default 30 s wait for headers on a loaded machine.
    env: { DATABASE_URL: database.url, PORT: String(gatewayPort), LOG_LEVEL: 'warn', SERVICE_URLS: serviceUrls(contactsPort, await refusedPort()), ADMIN_API_KEY: ADMIN_KEY, UPSTREAM_TIMEOUT_MS: '300000', ...UNREFUSING_RATE_LIMIT, ...profileEnv('gateway') },
    output: process.stderr,
  });
  context.onCleanup(() => stopServiceProcess(gateway));
  await gateway.ready;
  const client = new Client({ connectionString: database.url });
  await client.connect();
  context.onCleanup(() => client.end());

  const batches: Array<typeof messages> = [];
  for (let i = 0; i < messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH));
  context.log(`ingest: ${messages.length} messages of ${customers} customers, ${batches.length} requests, ${concurrency} in flight`);
  let accepted = 0;
  let started = 0;
  let posted = 0;
  const pids = [contacts.child.pid, gateway.child.pid].filter((pid): pid is number => pid !== undefined);
  const stopProfiles = profileWindow(pids, 'ingest');
  const ours = await measure(async () => {
    started = performance.now();
    await runConcurrently(concurrency, batches, async (batch) => {
      const response = await request(`http://127.0.0.1:${gatewayPort}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
        body: JSON.stringify(batch),
      });
      const body = (await response.body.json()) as { accepted?: number };
      if (response.statusCode !== 200) throw new Error(`ingest bench: POST /api/v1/events answered ${response.statusCode}: ${JSON.stringify(body)}`);
      accepted += body.accepted ?? 0;
    });
    posted = performance.now();
    while ((await countContacts(client)) < customers) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  await stopProfiles();
  if (accepted !== messages.length) throw new Error(`ingest bench: ${accepted} of ${messages.length} accepted`);

  // The limit: the same number of events through the store's batch append, as the services use it;
  // then the same with personal data protection on, as npm start runs the store (both printed).
  const limitPerS = perSecond(messages.length, (await measureLimit(context, batches, concurrency, false)).ms);
  const limitSealedPerS = perSecond(messages.length, (await measureLimit(context, batches, concurrency, true)).ms);
  // The ceiling of the ratio with this store and these events: the store writing them alone.
  const calls = await writtenCalls(database.url, masterKey);
  const storeOnlyPerS = perSecond(messages.length, (await measureStoreOnly(context, calls, concurrency, false)).ms);
  const storeOnlySealedPerS = perSecond(messages.length, (await measureStoreOnly(context, calls, concurrency, true)).ms);

  const oursPerS = perSecond(messages.length, ours.ms);
  context.emit({
    bench: 'ingest.cdnow',
    messages: messages.length,
    customers,
    batch: BATCH,
    concurrency,
    ours_per_s: oursPerS,
    limit_per_s: limitPerS,
    ratio: ratio(oursPerS, limitPerS),
    limit_sealed_per_s: limitSealedPerS,
    ratio_sealed: ratio(oursPerS, limitSealedPerS),
    // Ingest's own appendToStreams calls, the store alone (plain, then sealed as ours): messages/s,
    // and the ratio to the limit that ours could reach if nothing but the store cost anything.
    store_only_per_s: storeOnlyPerS,
    ratio_store_only: ratio(storeOnlyPerS, limitPerS),
    store_only_sealed_per_s: storeOnlySealedPerS,
    ratio_store_only_sealed: ratio(storeOnlySealedPerS, limitPerS),
    written_calls: calls.length,
    written_stream_appends: calls.reduce((n, c) => n + c.appends.length, 0),
    written_events: calls.reduce((n, c) => n + c.events, 0),
    // Where our time went: answering the requests, then the read model catching up.
    requests_s: Math.round((posted - started) / 100) / 10,
    read_model_wait_s: Math.round((ours.ms - (posted - started)) / 100) / 10,
    service_cpu_s: serviceCpuSeconds(contacts.child.pid),
    synchronous_commit: (await client.query<{ synchronous_commit: string }>('show synchronous_commit')).rows[0].synchronous_commit,
  });
};

registerBench({
  name: 'ingest',
  description: 'cdnow_master through POST /api/v1/events at the gateway until the contacts read model holds every customer, beside the event store batch-appending as many events',
  run: runIngestBench,
});
