import { projectionSpec } from '@clientela/projections/testing';
import { purchasesProjection } from './purchases.projection';

const customerId = '6f1c1c56-8d6e-4b8e-9c7e-2f6d1f0e9a01';
const orderStream = 'order-0b9a3e0e-6d0c-4e0a-9f3c-1d2e3f4a5b6c';
const base = { customerId, source: 'shop', sourceEventId: 'e1', orderId: '1001', currency: 'EUR' };
const deal = { dealId: '1c1f7a0e-2b3c-4d5e-8f90-a1b2c3d4e5f6', customerId, pipelineId: '00000000-0000-4000-8000-00000000d341' };

describe('the purchases projection', () => {
  it('records an ingested order on its UTC day, whatever offset its time was written with', () =>
    projectionSpec(purchasesProjection)
      .given([{ type: 'CustomerOrderPlaced', streamId: orderStream, data: { ...base, occurredAt: '1997-03-01T23:30:00-02:00', lines: [], amount: '12.50' } }])
      .thenRows({
        orders: [
          expect.objectContaining({ id: '0b9a3e0e-6d0c-4e0a-9f3c-1d2e3f4a5b6c', customer_id: customerId, source: 'shop', amount: '12.50', currency: 'EUR', placed_at: '1997-03-01T23:30:00-02:00', placed_on: '1997-03-02', cancelled_on: null, source_order_id: '1001' }),
        ],
        order_changes: [{ id: 'orders', changes: 1 }],
        customer_changes: [{ customer_id: customerId, changes: 1 }],
      }));

  it('keeps each refund with the day it was paid back, against its order', () =>
    projectionSpec(purchasesProjection)
      .given([{ type: 'CustomerOrderRefunded', streamId: orderStream, data: { ...base, sourceEventId: 'r1', occurredAt: '1997-03-05T10:00:00Z', amount: '2.50' } }])
      .thenRows({
        refunds: [expect.objectContaining({ order_id: '0b9a3e0e-6d0c-4e0a-9f3c-1d2e3f4a5b6c', customer_id: customerId, amount: '2.50', currency: 'EUR', refunded_on: '1997-03-05', refunded_at: '1997-03-05T10:00:00Z' })],
      }));

  it('makes a won deal an order of source deal, and its reopening cancels it from that day', () =>
    projectionSpec(purchasesProjection)
      .given([
        { type: 'DealWon', data: { ...deal, stageId: 'propose', amount: '3000.00', currency: 'GBP', orderId: 'a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d', secondsInStage: 5, wonAt: '2024-05-01T09:00:00Z' } },
        { type: 'DealReopened', data: { ...deal, from: 'won', stageId: 'propose', probability: 50, cancelledOrderId: 'a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d', cancelledAmount: '3000.00', cancelledCurrency: 'GBP', reopenedAt: '2024-05-03T09:00:00Z' } },
      ])
      .thenRows({
        orders: [expect.objectContaining({ id: 'a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d', source: 'deal', amount: '3000.00', placed_on: '2024-05-01', cancelled_on: '2024-05-03' })],
        order_changes: [{ id: 'orders', changes: 2 }],
        // The cancellation changes the customer's view too.
        customer_changes: [{ customer_id: customerId, changes: 2 }],
      }));

  it('ignores a deal reopened from lost: it had no order', () =>
    projectionSpec(purchasesProjection)
      .given([{ type: 'DealReopened', data: { ...deal, from: 'lost', stageId: 'propose', probability: 50, reopenedAt: '2024-05-03T09:00:00Z' } }])
      .thenRows({ orders: [], order_changes: [], customer_changes: [] }));
});
