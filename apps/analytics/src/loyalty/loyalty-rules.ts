import { CHURN_BANDS, LOYALTY_TIERS, type ChurnBand, type LoyaltyTier } from '@clientela/contracts';

/** A tier's threshold: a customer reaches it with at least this 12-month net value and this tenure. */
export interface TierThreshold {
  tier: Exclude<LoyaltyTier, 'bronze'>;
  minRollingValue: number;
  minTenureDays: number;
}

/** A band's threshold: churn risk (1 - P(alive)) at or above this is in the band. */
export interface BandThreshold {
  band: Exclude<ChurnBand, 'low'>;
  minChurnRisk: number;
}

export interface LoyaltyRules {
  /** From the lowest tier above bronze (every customer with a purchase is at least bronze). */
  tiers: readonly TierThreshold[];
  /** From the lowest band above low. */
  bands: readonly BandThreshold[];
}

export const DEFAULT_LOYALTY_RULES: LoyaltyRules = {
  tiers: [
    { tier: 'silver', minRollingValue: 100, minTenureDays: 90 },
    { tier: 'gold', minRollingValue: 500, minTenureDays: 365 },
    { tier: 'platinum', minRollingValue: 2000, minTenureDays: 730 },
  ],
  bands: [
    { band: 'medium', minChurnRisk: 0.25 },
    { band: 'high', minChurnRisk: 0.5 },
    { band: 'very_high', minChurnRisk: 0.75 },
  ],
};

/** The highest tier whose value and tenure the customer both reach. */
export const tierOf = (rollingValue: number, tenureDays: number, rules: LoyaltyRules): LoyaltyTier => {
  let tier: LoyaltyTier = 'bronze';
  for (const t of rules.tiers) if (rollingValue >= t.minRollingValue && tenureDays >= t.minTenureDays) tier = t.tier;
  return tier;
};

export const churnBandOf = (churnRisk: number, rules: LoyaltyRules): ChurnBand => {
  let band: ChurnBand = 'low';
  for (const b of rules.bands) if (churnRisk >= b.minChurnRisk) band = b.band;
  return band;
};

/** The same rules as SQL over columns `rolling_value` and `tenure_days` / a churn risk expression: lists filter and sort on them. */
export const tierSql = (rules: LoyaltyRules, value: string, tenure: string): string =>
  `case ${[...rules.tiers].reverse().map((t) => `when ${value} >= ${t.minRollingValue} and ${tenure} >= ${t.minTenureDays} then '${t.tier}'`).join(' ')} else 'bronze' end`;

export const bandSql = (rules: LoyaltyRules, risk: string): string =>
  `case when ${risk} is null then null ${[...rules.bands].reverse().map((b) => `when ${risk} >= ${b.minChurnRisk} then '${b.band}'`).join(' ')} else 'low' end`;

/** Checks a set of rules: known names, rising thresholds, so the tiers and bands stay ordered. */
export const loyaltyRuleProblems = (rules: LoyaltyRules): string[] => {
  const problems: string[] = [];
  const tiers = rules.tiers.map((t) => t.tier);
  if (new Set(tiers).size !== tiers.length || tiers.some((t) => !LOYALTY_TIERS.includes(t) || String(t) === 'bronze')) problems.push(`tiers must be distinct, from ${LOYALTY_TIERS.slice(1).join(', ')}`);
  const order = (names: readonly string[], all: readonly string[]) => names.every((n, i) => i === 0 || all.indexOf(n) > all.indexOf(names[i - 1]));
  if (!order(tiers, LOYALTY_TIERS)) problems.push(`tiers must be listed from the lowest: ${LOYALTY_TIERS.join(', ')}`);
  for (const [i, t] of rules.tiers.entries()) {
    if (!Number.isFinite(t.minRollingValue) || t.minRollingValue < 0 || !Number.isInteger(t.minTenureDays) || t.minTenureDays < 0) problems.push(`tier ${t.tier}: value and tenure must be numbers of at least 0`);
    const before = rules.tiers[i - 1];
    if (before && (t.minRollingValue < before.minRollingValue || t.minTenureDays < before.minTenureDays)) problems.push(`tier ${t.tier} must not need less than ${before.tier}`);
  }
  const bands = rules.bands.map((b) => b.band);
  if (new Set(bands).size !== bands.length || bands.some((b) => !CHURN_BANDS.includes(b) || String(b) === 'low') || !order(bands, CHURN_BANDS)) problems.push(`bands must be distinct, from the lowest: ${CHURN_BANDS.slice(1).join(', ')}`);
  for (const [i, b] of rules.bands.entries()) {
    if (!(b.minChurnRisk > 0 && b.minChurnRisk <= 1)) problems.push(`band ${b.band}: churn risk must be above 0 and at most 1`);
    const before = rules.bands[i - 1];
    if (before && b.minChurnRisk <= before.minChurnRisk) problems.push(`band ${b.band} must start above ${before.band}`);
  }
  return problems;
};
