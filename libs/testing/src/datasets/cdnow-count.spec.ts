import { cdnowOrderMessages, loadCdnow } from './cdnow';

describe('the CDNOW cohort', () => {
  it('holds 69,659 purchases of 23,570 customers, each one an order message with an id of its own', () => {
    const purchases = loadCdnow();
    expect(purchases).toHaveLength(69_659);
    expect(new Set(purchases.map((p) => p.customer)).size).toBe(23_570);
    const messages = cdnowOrderMessages(purchases);
    expect(new Set(messages.map((m) => m.id)).size).toBe(69_659);
    const cents = (dollars: number) => Math.round(dollars * 100);
    expect(messages.reduce((sum, m) => sum + cents(m.data.amount), 0)).toBe(purchases.reduce((sum, p) => sum + cents(p.dollars), 0));
  });
});
