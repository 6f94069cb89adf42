import request from 'supertest';
import { parseIngestMessage } from '@clientela/contracts';
import type { EventStore } from '@clientela/event-store';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';
import { DEFAULT_IDENTITY_RULES } from '../ingest/identifiers';
import { IngestService } from '../ingest/ingest.service';

// Ingest looks for erased people before it plans a batch (the e2e test shows that path); this is the
// race behind it: the person is erased between that look and the batch's one append, whose sealing
// then refuses their personal data. Only their messages are rejected; the rest of the batch is written.
describe('a person erased while an ingest batch about them is on its way', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await bootTestService(contactsService);
  });
  afterAll(async () => {
    await service?.close();
  });

  const message = (id: string, email: string, type: 'CallLogged' | 'OrderPlaced') =>
    parseIngestMessage({
      id, type, occurredAt: '2026-11-20T10:00:00Z', source: 'phone', customer: { email },
      data: type === 'CallLogged' ? { callId: id, direction: 'inbound', durationSeconds: 60, notes: 'asked about the knee' } : { orderId: id, lines: [{ sku: 'a', quantity: 1, unitPrice: 3 }], amount: 3, currency: 'EUR' },
    });

  it('rejects the erased person\'s message with subject_erased and writes the others', async () => {
    const first = await request(service.server).post('/api/v1/events').send([message('call-1', 'ruth.lane@fastmail.com', 'CallLogged')]).expect(200);
    const ruth = first.body.results[0].contactId as string;
    // The claim must be known to the writer below, so that it resolves the message to Ruth at once.
    for (let found = 0; found === 0; await new Promise((r) => setTimeout(r, 100))) {
      found = (await service.infra.pool.query('select 1 from proj_ingest_identifiers.claims where contact_id = $1', [ruth])).rowCount ?? 0;
    }
    const keys = service.infra.personalData!.keys;
    const store = service.infra.store;
    let erasedOnce = false;
    const erasingStore = new Proxy(store, {
      get: (target, property) => {
        if (property === 'appendToStreams') {
          return async (...args: Parameters<EventStore['appendToStreams']>) => {
            if (!erasedOnce) await keys.destroy([ruth]);
            erasedOnce = true;
            return target.appendToStreams(...args);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const writer = new IngestService(erasingStore, service.infra.pool, DEFAULT_IDENTITY_RULES, service.infra);
    const outcome = await writer.ingest([
      { index: 0, message: message('call-2', 'ruth.lane@fastmail.com', 'CallLogged') },
      { index: 1, message: message('order-1', 'oskar.berg@fastmail.com', 'OrderPlaced') },
    ]);
    expect(outcome.results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual(['subject_erased', 'accepted']);
    const { rows } = await service.infra.pool.query<{ type: string }>("select type from event_store.events where data->>'sourceEventId' in ('call-2', 'order-1')");
    expect(rows.map((r) => r.type)).toEqual(['CustomerOrderPlaced']);
  });
});
