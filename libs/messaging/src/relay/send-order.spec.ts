import { SendOrder } from './send-order';

describe('SendOrder', () => {
  it('lets sends through until one fails, then refuses every `next` until a `resume`', () => {
    const order = new SendOrder();
    expect(order.admit('next')).toBe(true);
    order.fail();
    expect(order.admit('next')).toBe(false);
    expect(order.admit('next')).toBe(false);
    expect(order.admit('resume')).toBe(true);
    expect(order.admit('next')).toBe(true);
  });

  it('a resume that fails again refuses what comes behind it too', () => {
    const order = new SendOrder();
    order.fail();
    expect(order.admit('resume')).toBe(true);
    order.fail();
    expect(order.admit('next')).toBe(false);
    expect(order.admit('resume')).toBe(true);
  });
});
