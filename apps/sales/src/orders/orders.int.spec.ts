import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { formatPosition, streamId } from '@clientela/contracts';
import { bootTestService, expectProblem, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { salesService } from '../sales-service';

// Orders come from two places: the customer events the contacts service appends for ingested orders
// (appended straight to the store here, as its ingest will), and won deals. Both modes.
describe.each<TestBus>(['standalone', 'kafka'])('orders and customer revenue over HTTP (%s)', (bus) => {
  let service: TestService;
  const http = () => request(service.server);
  const alice = randomUUID();
  const bob = randomUUID();

  beforeAll(async () => {
    service = await bootTestService(salesService, { bus });
  });
  afterAll(async () => {
    await service?.close();
  });

  const place = async (customerId: string, orderId: string, amount: string, occurredAt: string, currency = 'USD') => {
    const stream = streamId('order');
    const lines = [{ sku: 'cd', quantity: 1, unitPrice: amount }];
    const result = await service.infra.store.append(stream, [
      { type: 'CustomerOrderPlaced', data: { customerId, source: 'cdnow', sourceEventId: `placed-${orderId}`, occurredAt, orderId, lines, amount, currency } },
    ]);
    return { stream, position: formatPosition(result.position) };
  };
  const refund = async (stream: ReturnType<typeof streamId>, customerId: string, orderId: string, amount: string) =>
    formatPosition(
      (
        await service.infra.store.append(stream, [
          { type: 'CustomerOrderRefunded', data: { customerId, source: 'cdnow', sourceEventId: `refund-${orderId}`, occurredAt: '1997-03-01T00:00:00Z', orderId, amount, currency: 'USD' } },
        ])
      ).position,
    );

  it('lists ingested orders and nets refunds per order and per customer, exactly', async () => {
    await place(alice, 'a1', '11.77', '1997-01-01T00:00:00Z');
    const a2 = await place(alice, 'a2', '0.1', '1997-01-02T00:00:00Z');
    await place(alice, 'a3', '0.2', '1997-01-03T00:00:00Z');
    await place(bob, 'b1', '29.99', '1997-01-04T00:00:00Z');
    const position = await refund(a2.stream, alice, 'a2', '0.05');
    // By hand: alice 11.77 + 0.10 + 0.20 = 12.07 gross, 0.05 refunded, 12.02 net, 3 orders; bob 29.99, 1 order.
    const summary = await http().get(`/api/v1/customer-revenue/${alice}`).set('x-min-position', position).expect(200);
    expect(summary.body).toEqual({
      customerId: alice,
      revenue: [{ customerId: alice, currency: 'USD', orderCount: 3, gross: '12.07', refunded: '0.05', net: '12.02', firstOrderAt: '1997-01-01T00:00:00.000Z', lastOrderAt: '1997-01-03T00:00:00.000Z' }],
    });
    const orders = await http().get(`/api/v1/orders?customer=${alice}&sort=placedAt`).set('x-min-position', position).expect(200);
    expect(orders.body.items.map((o: { sourceOrderId: string; amount: string; refunded: string; net: string }) => [o.sourceOrderId, o.amount, o.refunded, o.net])).toEqual([
      ['a1', '11.77', '0', '11.77'],
      ['a2', '0.1', '0.05', '0.05'],
      ['a3', '0.2', '0', '0.20'],
    ]);
    const order = await http().get(`/api/v1/orders/${a2.stream.slice('order-'.length)}`).set('x-min-position', position).expect(200);
    expect(order.body).toMatchObject({ customerId: alice, source: 'cdnow', status: 'placed', lines: [{ sku: 'cd', quantity: 1, unitPrice: '0.1' }] });
    const ranked = await http().get('/api/v1/customer-revenue?currency=USD&sort=-net&limit=1').set('x-min-position', position).expect(200);
    expect(ranked.body.items.map((r: { customerId: string }) => r.customerId)).toEqual([bob]);
    const next = await http().get(`/api/v1/customer-revenue?currency=USD&sort=-net&limit=1&cursor=${ranked.body.nextCursor}`).expect(200);
    expect(next.body.items.map((r: { customerId: string }) => r.customerId)).toEqual([alice]);
    const csv = await http().get('/api/v1/customer-revenue?currency=USD&sort=net').set('accept', 'text/csv').set('x-min-position', position).expect(200);
    expect(csv.text.trim().split('\r\n')).toEqual([
      'customer_id,currency,order_count,gross,refunded,net,first_order_at,last_order_at',
      `${alice},USD,3,12.07,0.05,12.02,1997-01-01T00:00:00.000Z,1997-01-03T00:00:00.000Z`,
      `${bob},USD,1,29.99,0,29.99,1997-01-04T00:00:00.000Z,1997-01-04T00:00:00.000Z`,
    ]);
    const ordersCsv = await http().get(`/api/v1/orders?customer=${alice}&sort=amount`).set('accept', 'text/csv').set('x-min-position', position).expect(200);
    expect(ordersCsv.text.trim().split('\r\n').slice(1).map((line) => line.split(',')[7])).toEqual(['0.05', '0.20', '11.77']);
  });

  it('makes a won deal an order on its contact, and cancels it when the deal is reopened', async () => {
    const carol = randomUUID();
    const pipelineId = (await http().post('/api/v1/pipelines').send({ name: 'P', stages: [{ stageId: 'open', name: 'Open', probability: 20 }] }).expect(201)).body.id;
    const dealId = (await http().post('/api/v1/deals').send({ name: 'Big one', customerId: carol, pipelineId, currency: 'EUR', amount: '1000.10' }).expect(201)).body.id;
    const won = await http().post(`/api/v1/deals/${dealId}/win`).send({}).expect(200);
    const orders = await http().get(`/api/v1/orders?deal=${dealId}`).set('x-min-position', won.headers['x-position']).expect(200);
    expect(orders.body.items).toEqual([expect.objectContaining({ customerId: carol, source: 'deal', dealId, amount: '1000.10', currency: 'EUR', status: 'placed' })]);
    expect((await http().get(`/api/v1/customer-revenue/${carol}`).expect(200)).body.revenue).toMatchObject([{ orderCount: 1, net: '1000.10' }]);
    const reopened = await http().post(`/api/v1/deals/${dealId}/reopen`).send({}).expect(200);
    const after = await http().get(`/api/v1/customer-revenue/${carol}`).set('x-min-position', reopened.headers['x-position']).expect(200);
    expect(after.body.revenue).toMatchObject([{ orderCount: 0, gross: '0.00', net: '0.00' }]);
    const cancelled = await http().get(`/api/v1/orders/${orders.body.items[0].id}`).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String) });
  });

  it('refuses bad filters with 400 and answers 404 for an unknown order', async () => {
    for (const query of ['customer=me', 'status=shipped', 'sort=-profit', 'placedFrom=yesterday', 'limit=0']) expectProblem(await http().get(`/api/v1/orders?${query}`), 400);
    for (const query of ['sort=name', 'currency=dollars']) expectProblem(await http().get(`/api/v1/customer-revenue?${query}`), 400);
    expectProblem(await http().get('/api/v1/customer-revenue/not-a-uuid'), 400);
    expectProblem(await http().get(`/api/v1/orders/${randomUUID()}`), 404);
  });
});
