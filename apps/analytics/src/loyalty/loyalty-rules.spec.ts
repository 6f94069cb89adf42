import { ConfigError } from '@clientela/platform';
import { planLoyaltyChanges } from './loyalty-changes';
import { churnBandOf, DEFAULT_LOYALTY_RULES, tierOf } from './loyalty-rules';
import { loadLoyaltyRules } from './loyalty-rules.config';

const rules = DEFAULT_LOYALTY_RULES;

describe('loyalty tiers and churn bands', () => {
  it('places a customer in the highest tier whose value and tenure it both reaches', () => {
    expect(tierOf(0, 0, rules)).toBe('bronze');
    expect(tierOf(100, 90, rules)).toBe('silver');
    // Value of gold without its tenure stays silver; tenure alone does not lift.
    expect(tierOf(5000, 200, rules)).toBe('silver');
    expect(tierOf(99.99, 3650, rules)).toBe('bronze');
    expect(tierOf(2000, 730, rules)).toBe('platinum');
  });

  it('bands churn risk from the band\'s lower bound', () => {
    expect([0, 0.2499, 0.25, 0.5, 0.75, 1].map((r) => churnBandOf(r, rules))).toEqual(['low', 'low', 'medium', 'high', 'very_high', 'very_high']);
  });

  it('reads thresholds from the environment and refuses rules out of order', () => {
    expect(loadLoyaltyRules({ LOYALTY_TIERS: 'gold:50:0', CHURN_BANDS: 'high:0.9' })).toEqual({ tiers: [{ tier: 'gold', minRollingValue: 50, minTenureDays: 0 }], bands: [{ band: 'high', minChurnRisk: 0.9 }] });
    expect(loadLoyaltyRules({})).toEqual(rules);
    expect(() => loadLoyaltyRules({ LOYALTY_TIERS: 'gold:500:365,silver:100:90' })).toThrow(ConfigError);
    expect(() => loadLoyaltyRules({ LOYALTY_TIERS: 'silver:lots:90' })).toThrow(ConfigError);
    expect(() => loadLoyaltyRules({ CHURN_BANDS: 'high:0.5,medium:0.6' })).toThrow(ConfigError);
    expect(() => loadLoyaltyRules({ CHURN_BANDS: 'low:0.1' })).toThrow(ConfigError);
  });
});

describe('planning the loyalty changes of a day', () => {
  const customerId = '00000000-0000-4000-8000-000000000001';
  const state = { customerId, tier: 'silver' as const, rollingValue: '120.5', tenureDays: 100, churnBand: 'low' as const, churnRisk: 0.1 };

  it('publishes a first tier and band without `from`, on a new stream', () => {
    const [change] = planLoyaltyChanges([state], '2024-06-30', 'USD');
    expect(change).toMatchObject({ streamId: `customerLoyalty-${customerId}`, expectedRevision: 'no_stream' });
    expect(change.events.map((e) => [e.type, e.data])).toEqual([
      ['CustomerLoyaltyTierChanged', { customerId, to: 'silver', asOf: '2024-06-30', currency: 'USD', rollingValue: '120.5', tenureDays: 100 }],
      ['CustomerChurnBandChanged', { customerId, to: 'low', asOf: '2024-06-30', currency: 'USD', churnRisk: 0.1 }],
    ]);
  });

  it('publishes only what changed, after the revision it knows, with ids that the same day gives again', () => {
    const moved = { ...state, tier: 'gold' as const, publishedTier: 'silver' as const, publishedBand: 'low' as const, revision: 3 };
    const [change] = planLoyaltyChanges([moved], '2024-07-01', 'USD');
    expect(change.expectedRevision).toBe(3);
    expect(change.events.map((e) => [e.type, e.data.from, e.data.to])).toEqual([['CustomerLoyaltyTierChanged', 'silver', 'gold']]);
    expect(planLoyaltyChanges([moved], '2024-07-01', 'USD')[0].events[0].id).toBe(change.events[0].id);
    expect(planLoyaltyChanges([moved], '2024-07-02', 'USD')[0].events[0].id).not.toBe(change.events[0].id);
  });

  it('publishes nothing for an unchanged customer, nor a band while P(alive) is unknown', () => {
    expect(planLoyaltyChanges([{ ...state, publishedTier: 'silver', publishedBand: 'low', revision: 1 }], '2024-06-30', 'USD')).toEqual([]);
    expect(planLoyaltyChanges([{ ...state, churnBand: undefined, churnRisk: undefined, publishedTier: 'silver', revision: 1 }], '2024-06-30', 'USD')).toEqual([]);
  });
});
