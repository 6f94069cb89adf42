import { ConfigError } from '@clientela/platform';
import { DEFAULT_LOYALTY_RULES, loyaltyRuleProblems, type BandThreshold, type LoyaltyRules, type TierThreshold } from './loyalty-rules';

/**
 * The loyalty thresholds, read once at start like the platform's settings (empty counts as unset):
 * `LOYALTY_TIERS` as `tier:minValue:minTenureDays,…` from the lowest (default
 * `silver:100:90,gold:500:365,platinum:2000:730`: 12-month net value in the currency, tenure in days),
 * `CHURN_BANDS` as `band:minChurnRisk,…` (default `medium:0.25,high:0.5,very_high:0.75`).
 */
export const loadLoyaltyRules = (env: Record<string, string | undefined> = process.env): LoyaltyRules => {
  const problems: string[] = [];
  const parts = (text: string) => text.split(',').map((p) => p.trim().split(':'));
  let tiers = DEFAULT_LOYALTY_RULES.tiers;
  if (env.LOYALTY_TIERS) {
    const parsed = parts(env.LOYALTY_TIERS);
    if (parsed.some((p) => p.length !== 3 || !/^\d+(\.\d+)?$/.test(p[1]) || !/^\d+$/.test(p[2]))) problems.push(`LOYALTY_TIERS must be tier:minValue:minTenureDays,… (got ${JSON.stringify(env.LOYALTY_TIERS)})`);
    else tiers = parsed.map(([tier, value, days]) => ({ tier, minRollingValue: Number(value), minTenureDays: Number(days) }) as TierThreshold);
  }
  let bands = DEFAULT_LOYALTY_RULES.bands;
  if (env.CHURN_BANDS) {
    const parsed = parts(env.CHURN_BANDS);
    if (parsed.some((p) => p.length !== 2 || !/^(0(\.\d+)?|1)$/.test(p[1]))) problems.push(`CHURN_BANDS must be band:minChurnRisk,… with risks from 0 to 1 (got ${JSON.stringify(env.CHURN_BANDS)})`);
    else bands = parsed.map(([band, risk]) => ({ band, minChurnRisk: Number(risk) }) as BandThreshold);
  }
  const rules = { tiers, bands };
  if (problems.length === 0) problems.push(...loyaltyRuleProblems(rules).map((p) => `LOYALTY_TIERS / CHURN_BANDS: ${p}`));
  if (problems.length > 0) throw new ConfigError(problems);
  return rules;
};
