import { customerRevenueProjection, placedOrder, refundedOrder } from './sample-orders';
import { projectionSpec } from './projection-spec';

describe('customer_revenue projection (orders and net revenue per customer)', () => {
  const spec = projectionSpec(customerRevenueProjection());

  it('counts a first order', () =>
    spec.given([placedOrder('c1', 11.77, 0, 2)]).thenRows({
      customer_revenue: [
        {
          customer_id: 'c1',
          orders: 1,
          items: 2,
          gross_revenue: 11.77,
          refunded: 0,
          net_revenue: 11.77,
          first_order_at: '1997-01-01T00:00:00.000Z',
          last_order_at: '1997-01-01T00:00:00.000Z',
        },
      ],
    }));

  it('adds exactly and keeps the first and last order dates, whatever the order of arrival', () =>
    spec
      .given([
        placedOrder('c1', 0.1, 59),
        placedOrder('c1', 0.2, 0),
        placedOrder('c2', 5, 31),
      ])
      .thenRows({
        customer_revenue: [
          expect.objectContaining({ customer_id: 'c1', orders: 2, gross_revenue: 0.3, first_order_at: '1997-01-01T00:00:00.000Z', last_order_at: '1997-03-01T00:00:00.000Z' }),
          expect.objectContaining({ customer_id: 'c2', orders: 1, gross_revenue: 5 }),
        ],
      }));

  it('takes refunds off the net revenue, not the gross', () =>
    spec.given([placedOrder('c1', 20, 0), refundedOrder('c1', 7.5)]).thenRows({
      customer_revenue: [expect.objectContaining({ customer_id: 'c1', gross_revenue: 20, refunded: 7.5, net_revenue: 12.5 })],
    }));

  it('ignores event types it does not handle', () => spec.given([{ type: 'EmailOpened', data: {} }]).thenRows({ customer_revenue: [] }));
});
