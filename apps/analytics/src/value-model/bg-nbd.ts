import { hyp2f1, lnBeta, lnGamma, nelderMead } from './special-functions';
import type { CustomerSummary } from './customer-summary';

// Local bindings: under jest's sandbox every global lookup of `Math` in a hot loop costs about 20x.
const { exp, log, max, pow } = Math;


/** BG/NBD (Fader, Hardie & Lee 2005): purchases while alive at a gamma(r, alpha) rate; after each, dropout with a beta(a, b) probability. */
export interface BgNbdParameters {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

type Frequency = Pick<CustomerSummary, 'x' | 'tx' | 'T'>;

/** A customer's log-likelihood (equation 6 of the paper, in its numerically stable form). */
export const bgNbdLogLikelihood = ({ r, alpha, a, b }: BgNbdParameters, { x, tx, T }: Frequency): number => {
  const a1 = lnGamma(r + x) - lnGamma(r) + r * log(alpha);
  const a2 = lnBeta(a, b + x) - lnBeta(a, b);
  const a3 = -(r + x) * log(alpha + T);
  if (x === 0) return a1 + a2 + a3;
  const a4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + tx);
  // ln(e^a3 + e^a4) by log-sum-exp: for large x both terms underflow as plain exponentials.
  const m = max(a3, a4);
  return a1 + a2 + m + log(exp(a3 - m) + exp(a4 - m));
};

/** The sum over customers grouped by (x, tx, T): CDNOW's 23,570 customers are far fewer distinct triples. */
export const fitBgNbd = async (customers: readonly Frequency[]): Promise<{ parameters: BgNbdParameters; logLikelihood: number }> => {
  const groups = new Map<string, { c: Frequency; n: number }>();
  for (const c of customers) {
    const key = `${c.x}|${c.tx}|${c.T}`;
    const g = groups.get(key);
    if (g) g.n += 1;
    else groups.set(key, { c, n: 1 });
  }
  const weighted = [...groups.values()];
  const of = (p: number[]): BgNbdParameters => ({ r: exp(p[0]), alpha: exp(p[1]), a: exp(p[2]), b: exp(p[3]) });
  const negative = (p: number[]) => {
    const parameters = of(p);
    let sum = 0;
    for (const { c, n } of weighted) sum += n * bgNbdLogLikelihood(parameters, c);
    return -sum;
  };
  // On log parameters, so every point the simplex tries is a valid (positive) parameter set.
  const minimum = await nelderMead(negative, [0, 0, 0, 0]);
  return { parameters: of(minimum.x), logLikelihood: -minimum.value };
};

/** P(alive at the calibration end | x, tx, T). */
export const probabilityAlive = ({ r, alpha, a, b }: BgNbdParameters, { x, tx, T }: Frequency): number =>
  x === 0 ? 1 : 1 / (1 + (a / (b + x - 1)) * pow((alpha + T) / (alpha + tx), r + x));

/** Expected purchases in the next t weeks given the history (equation 10 of the paper). */
export const expectedPurchases = ({ r, alpha, a, b }: BgNbdParameters, { x, tx, T }: Frequency, t: number): number => {
  if (t <= 0) return 0;
  const head = (a + b + x - 1) / (a - 1);
  const body = 1 - pow((alpha + T) / (alpha + T + t), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
  const alive = x === 0 ? 1 : 1 + (a / (b + x - 1)) * pow((alpha + T) / (alpha + tx), r + x);
  return (head * body) / alive;
};
