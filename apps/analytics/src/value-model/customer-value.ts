import { expectedPurchases, probabilityAlive, type BgNbdParameters } from './bg-nbd';
import type { CustomerSummary } from './customer-summary';
import { expectedSpend, type GammaGammaParameters } from './gamma-gamma';

// Local bindings: under jest's sandbox every global lookup of `Math` in a hot loop costs about 20x.
const { pow } = Math;


export interface ValueOptions {
  /** Weeks ahead. */
  horizonWeeks: number;
  /** Yearly discount rate, e.g. 0.1. */
  discountRate: number;
  /** Share of revenue kept, 0 to 1. */
  margin: number;
}

export interface PredictedValue {
  probabilityAlive: number;
  expectedPurchases: number;
  expectedSpend: number;
  /** margin × expected spend × expected purchases of each week ahead, discounted to the calibration end. */
  predictedValue: number;
}

/**
 * A customer's predicted value over the horizon: the purchases expected in each week ahead (the
 * difference of the BG/NBD forecast at k and k - 1 weeks) times the expected spend, discounted weekly
 * at the rate equivalent to the yearly one.
 */
export const predictValue = (bgnbd: BgNbdParameters, gammaGamma: GammaGammaParameters, customer: CustomerSummary, options: ValueOptions): PredictedValue => {
  const spend = expectedSpend(gammaGamma, { x: customer.x, meanValue: customer.meanRepeatValue });
  const weekly = pow(1 + options.discountRate, 1 / 52) - 1;
  let value = 0;
  let before = 0;
  for (let k = 1; k <= options.horizonWeeks; k++) {
    const upTo = expectedPurchases(bgnbd, customer, k);
    value += (upTo - before) / pow(1 + weekly, k);
    before = upTo;
  }
  return { probabilityAlive: probabilityAlive(bgnbd, customer), expectedPurchases: before, expectedSpend: spend, predictedValue: options.margin * spend * value };
};
