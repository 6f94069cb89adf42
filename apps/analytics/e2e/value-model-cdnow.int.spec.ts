import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CdnowConverter, type CdnowOrderMessage, INGEST_TOPIC } from '@clientela/contracts';
import { waitFor } from '@clientela/messaging/src/testing/wait-for';
import type { Pool } from 'pg';
import { createTestDatabase, deleteTestTopics, platformTopics, freePort, freePortRange, testKafka, type TestDatabase } from '@clientela/testing';
import { busEnv, SERVICES, startPlatformProcess, type PlatformProcess } from '@clientela/launcher';

// Done when (issue 11): the CDNOW sample ingested through the public doors of the platform as
// `npm start` runs it (contacts, sales, analytics and the gateway, each its own process), then the
// value model through the gateway gives the published estimates to 3 significant digits: through
// POST /api/v1/events in standalone mode, through clientela.ingest.v1 in Kafka mode.
const ROOT = join(__dirname, '..', '..', '..');
const ADMIN_KEY = 'e2e-analytics-admin-key-0123456789abcdefghijklm';
const ORDERS = 6_919;
const CUSTOMERS = 2_357;

const sampleMessages = (): CdnowOrderMessage[] => {
  const converter = new CdnowConverter();
  return readFileSync(join(ROOT, 'datasets', 'cdnow', 'cdnow_sample.txt'), 'utf8')
    .split('\n')
    .flatMap((line) => converter.convert(line) ?? []);
};


/** Rounded to 3 significant digits, as the published estimates are compared. */
const sig3 = (x: number): number => Number(x.toPrecision(3));

describe.each(['standalone', 'kafka'] as const)('the value model of the CDNOW sample ingested through the platform (%s)', (bus) => {
  let database: TestDatabase;
  let pool: Pool;
  let platform: PlatformProcess | undefined;
  let base: string;
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

  beforeAll(async () => {
    database = await createTestDatabase('clientela_analytics_e2e');
    pool = database.pool({ max: 1 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}/api/v1`;
    platform = await startPlatformProcess({
      DATABASE_URL: database.url,
      PORT: String(port),
      CLIENTELA_SERVICE_PORT_BASE: String((await freePortRange(SERVICES.length)) - 1),
      ADMIN_API_KEY: ADMIN_KEY,
      ...busEnv(bus, prefix),
    });
  });

  afterAll(async () => {
    if (platform) expect(await platform.stop()).toBe(0);
    if (bus === 'kafka') await deleteTestTopics(brokers, platformTopics(prefix)).catch(() => undefined);
    await database?.drop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  const ingest = async (messages: CdnowOrderMessage[]): Promise<void> => {
    if (bus === 'standalone') {
      for (let i = 0; i < messages.length; i += 1_000) {
        const answer = await call('POST', '/events', messages.slice(i, i + 1_000));
        expect([answer.status, answer.body.rejected]).toEqual([200, 0]);
      }
      return;
    }
    const producer = testKafka(brokers).producer();
    await producer.connect();
    try {
      // Keyed by customer, as a shop would, so one customer's orders stay in order.
      await producer.send({ topic: `${prefix}${INGEST_TOPIC}`, messages: messages.map((m) => ({ key: m.customer.externalId, value: JSON.stringify(m) })) });
    } finally {
      await producer.disconnect();
    }
  };

  const ordersInReadModel = async (): Promise<number> =>
    Number((await pool.query<{ n: string }>('select count(*)::text as n from proj_analytics_purchases.orders')).rows[0]?.n ?? 0);

  it('gives the published BG/NBD and Gamma-Gamma estimates for calibration end 1997-09-30', async () => {
    await ingest(sampleMessages());
    await waitFor(async () => (await ordersInReadModel().catch(() => 0)) === ORDERS, async () => `${await ordersInReadModel().catch(() => 0)} orders in the analytics read model`, 300_000);

    const model = await call('GET', '/analytics/value-model?calibrationEnd=1997-09-30');
    expect(model.status).toBe(200);
    const { bgnbd, gammaGamma, customers, calibrationEnd } = model.body as {
      bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number };
      gammaGamma: { p: number; q: number; gamma: number };
      customers: number;
      calibrationEnd: string;
    };
    expect({ customers, calibrationEnd }).toEqual({ customers: CUSTOMERS, calibrationEnd: '1997-09-30' });
    expect([bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b].map(sig3)).toEqual([0.243, 4.41, 0.793, 2.43]);
    expect(bgnbd.logLikelihood).toBeCloseTo(-9582.4, 1);
    expect([gammaGamma.p, gammaGamma.q, gammaGamma.gamma].map(sig3)).toEqual([6.25, 3.74, 15.4]);

    // Every customer of the cohort is in RFM as of the end of the data.
    const segments = await call('GET', '/analytics/segments?asOf=1998-06-30');
    expect(segments.body.customers).toBe(CUSTOMERS);
  });
});
