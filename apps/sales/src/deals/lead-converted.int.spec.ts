import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { formatPosition, streamId, type RecordedEvent } from '@clientela/contracts';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { DEFAULT_PIPELINE_ID } from '../pipelines/default-pipeline';
import { salesService } from '../sales-service';
import { dealIdOfLead, LeadConvertedConsumer } from './lead-converted.consumer';

// The reaction in-process (standalone: a store subscription), with LeadConverted appended as the
// contacts service appends it. Through the gateway and in Kafka mode: apps/sales/e2e.
describe('a converted lead opens a deal', () => {
  let service: TestService;
  const http = () => request(service.server);

  beforeAll(async () => {
    service = await bootTestService(salesService);
  });
  afterAll(async () => {
    await service?.close();
  });

  const convert = async (data: Record<string, unknown>): Promise<RecordedEvent> => {
    const lead = streamId('lead', data.leadId as string);
    await service.infra.store.append(lead, [{ type: 'LeadConverted', data }], { expectedRevision: 'any' });
    return (await service.infra.store.readStream(lead)).at(-1)!;
  };
  const dealEvents = async (dealId: string) => (await service.infra.store.readStream(streamId('deal', dealId)).catch(() => [])) as RecordedEvent[];
  const until = async (check: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 20_000; !(await check()); await new Promise((r) => setTimeout(r, 50))) if (Date.now() > deadline) throw new Error('timed out');
  };

  it('opens the deal in the default pipeline\'s first stage with the conversion\'s contact, account, owner and acquisition currency', async () => {
    const leadId = randomUUID();
    const contactId = randomUUID();
    const accountId = randomUUID();
    const ownerId = randomUUID();
    await convert({ leadId, contactId, accountId, ownerId, source: 'partner:acme', acquisitionCost: { amount: '40.00', currency: 'CHF' }, convertedAt: '2026-12-01T09:00:00.000Z' });
    const dealId = dealIdOfLead(leadId);
    await until(async () => (await dealEvents(dealId)).length > 0);
    const [opened] = await dealEvents(dealId);
    const deal = await http().get(`/api/v1/deals/${dealId}`).set('x-min-position', formatPosition(opened.position)).expect(200);
    expect(deal.body).toMatchObject({
      customerId: contactId, accountId, ownerId, leadId, source: 'partner:acme', name: 'partner:acme lead', pipelineId: DEFAULT_PIPELINE_ID,
      stageId: 'qualify', probability: 10, amount: '0.00', currency: 'CHF', status: 'open', openedAt: '2026-12-01T09:00:00.000Z',
    });
    expect(opened.metadata).toMatchObject({ actor: 'service:sales', source: 'sales' });
  });

  it('adds nothing when the same LeadConverted is handled again, and creates the default pipeline once', async () => {
    const leadId = randomUUID();
    const event = await convert({ leadId, contactId: randomUUID(), source: 'webinar', convertedAt: '2026-12-01T10:00:00.000Z' });
    const dealId = dealIdOfLead(leadId);
    await until(async () => (await dealEvents(dealId)).length > 0);
    const consumer = service.app.get(LeadConvertedConsumer);
    await consumer.onLeadConverted(event);
    await consumer.onLeadConverted(event);
    expect(await dealEvents(dealId)).toHaveLength(1);
    expect(await service.infra.store.readStream(streamId('pipeline', DEFAULT_PIPELINE_ID))).toHaveLength(1);
    expect((await dealEvents(dealId))[0].data).toMatchObject({ currency: 'EUR', amount: '0.00' });
  });

  it('reports the reactions consumer in readiness', async () => {
    const ready = await http().get('/health/ready').expect(200);
    expect(JSON.stringify(ready.body)).toContain('reactions');
  });
});
