import { isValidPhoneNumber } from 'libphonenumber-js';
import { parseIngestMessage, toUnits } from '@clientela/contracts';
import { planDemoData } from './demo-data';

const data = planDemoData({ seed: 'spec', customers: 400, until: '2026-12-02' });
const orderData = (m: (typeof data.orders)[number]) => m.data as { orderId: string; amount: number; currency: string; lines: Array<{ quantity: number; unitPrice: number }> };

describe('the demo data set', () => {
  it('is the same for the same seed, and another for another seed', () => {
    expect(planDemoData({ seed: 'spec', customers: 400, until: '2026-12-02' })).toEqual(data);
    const other = planDemoData({ seed: 'other', customers: 400, until: '2026-12-02' });
    expect(other.customers.map((c) => c.emails[0])).not.toEqual(data.customers.map((c) => c.emails[0]));
  });

  it('keeps the first customers of a smaller set the same', () => {
    const smaller = planDemoData({ seed: 'spec', customers: 100, until: '2026-12-02' });
    expect(smaller.customers.map((c) => [c.externalId, c.givenName, c.familyName, c.stage])).toEqual(data.customers.slice(0, 100).map((c) => [c.externalId, c.givenName, c.familyName, c.stage]));
    const ordersOf = (d: typeof data, ids: Set<string>) => d.orders.filter((o) => ids.has(o.customer.externalId as string)).map((o) => o.id);
    const ids = new Set(smaller.customers.map((c) => c.externalId));
    expect(ordersOf(smaller, ids)).toEqual(ordersOf(data, ids));
  });

  it('sends only messages of the ingest contract, each id once', () => {
    for (const message of [...data.orders, ...data.refunds]) expect(() => parseIngestMessage(message)).not.toThrow();
    const ids = [...data.orders, ...data.refunds].map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has most customers buying once or twice and a few often, over two years before the last day', () => {
    const perCustomer = new Map<string, number>();
    for (const order of data.orders) perCustomer.set(order.customer.externalId as string, (perCustomer.get(order.customer.externalId as string) ?? 0) + 1);
    expect(perCustomer.size).toBe(400);
    const counts = [...perCustomer.values()];
    const share = (p: (n: number) => boolean) => counts.filter(p).length / counts.length;
    expect(share((n) => n <= 2)).toBeGreaterThan(0.55);
    expect(share((n) => n >= 7)).toBeGreaterThan(0.04);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(16);
    const times = data.orders.map((o) => o.occurredAt);
    expect(times[0] >= `${data.from}T00:00:00`).toBe(true);
    expect(times[times.length - 1] < '2026-12-02T00:00:00').toBe(true);
    expect(data.from).toBe('2024-12-02');
  });

  it('prices orders in cents, the amount the sum of the lines, in the currency of the customer\'s country', () => {
    for (const order of data.orders) {
      const { amount, lines, currency } = orderData(order);
      expect(toUnits(String(amount))).toBe(lines.reduce((sum, l) => sum + BigInt(l.quantity) * toUnits(String(l.unitPrice)), 0n));
      expect(['EUR', 'GBP', 'USD']).toContain(currency);
    }
    expect(data.orders.some((o) => !Number.isInteger(orderData(o).amount))).toBe(true);
  });

  it('refunds some orders, at most their amount, after they were placed and before the last day', () => {
    const byId = new Map(data.orders.map((o) => [orderData(o).orderId, o]));
    expect(data.refunds.length).toBeGreaterThan(data.orders.length * 0.03);
    expect(data.refunds.length).toBeLessThan(data.orders.length * 0.12);
    for (const refund of data.refunds) {
      const { orderId, amount, currency } = refund.data as { orderId: string; amount: number; currency: string };
      const order = byId.get(orderId)!;
      expect(amount).toBeLessThanOrEqual(orderData(order).amount);
      expect(currency).toBe(orderData(order).currency);
      expect(refund.occurredAt > order.occurredAt && refund.occurredAt < '2026-12-02').toBe(true);
    }
  });

  it('gives every person a valid mobile number and an email of their own', () => {
    const people = [...data.customers, ...data.prospects];
    for (const person of people) expect([person.phone, isValidPhoneNumber(person.phone)]).toEqual([person.phone, true]);
    for (const lead of data.leads) if (lead.phone) expect(isValidPhoneNumber(lead.phone)).toBe(true);
    const emails = [...people.flatMap((p) => p.emails), ...data.leads.map((l) => l.email)];
    expect(new Set(emails).size).toBe(emails.length);
    // RFC 2606 domains: nobody receives mail sent to the demo data.
    for (const email of emails) expect(email).toMatch(/@([a-z0-9-]+\.)*example(\.(com|org|net))?$/);
  });

  it('has leads from several sources with their cost, some qualified, converted or disqualified with a reason', () => {
    expect(new Set(data.leads.map((l) => l.source)).size).toBeGreaterThanOrEqual(5);
    expect(data.leads.filter((l) => l.convertedBy).every((l) => l.qualification?.status === 'qualified')).toBe(true);
    expect(data.leads.some((l) => l.convertedBy)).toBe(true);
    expect(data.leads.filter((l) => l.qualification?.status === 'disqualified').every((l) => l.qualification?.reason)).toBe(true);
    expect(data.leads.filter((l) => l.acquisitionCost).length).toBeGreaterThan(data.leads.length / 2);
  });

  it('has deals in three pipelines, moving through their stages, won and lost with reasons, owned by reps', () => {
    expect(new Set(data.deals.map((d) => d.pipeline))).toEqual(new Set([0, 1, 2]));
    const reps = new Set(data.reps.map((r) => r.id));
    for (const deal of data.deals) {
      const stages = data.pipelines[deal.pipeline].stages.map((s) => s.stageId);
      expect(stages.slice(1, deal.moves.length + 1)).toEqual(deal.moves);
      if (deal.outcome?.won) expect(deal.moves.length).toBe(stages.length - 1);
      expect(reps.has(deal.ownerId)).toBe(true);
      for (const line of deal.lines) expect(toUnits(line.discount ?? '0')).toBeLessThanOrEqual(BigInt(line.quantity) * toUnits(line.unitPrice));
    }
    expect(data.deals.some((d) => d.outcome?.won === true)).toBe(true);
    expect(data.deals.some((d) => d.outcome?.won === false)).toBe(true);
    expect(data.deals.some((d) => !d.outcome)).toBe(true);
    expect(data.reps.every((r) => r.quotas.length === 10 && r.quotas.some((q) => q.period === '2027-Q1'))).toBe(true);
  });
});
