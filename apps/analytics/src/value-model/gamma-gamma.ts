import { lnGamma, nelderMead } from './special-functions';

// Local bindings: under jest's sandbox every global lookup of `Math` in a hot loop costs about 20x.
const { exp, log } = Math;


/** Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013 note). */
export interface GammaGammaParameters {
  p: number;
  q: number;
  gamma: number;
}

interface Spend {
  /** Repeat purchases (> 0). */
  x: number;
  /** Their mean value (> 0). */
  meanValue: number;
}

export const gammaGammaLogLikelihood = ({ p, q, gamma }: GammaGammaParameters, { x, meanValue: m }: Spend): number =>
  lnGamma(p * x + q) - lnGamma(p * x) - lnGamma(q) + q * log(gamma) + (p * x - 1) * log(m) + p * x * log(x) - (p * x + q) * log(gamma + m * x);

export const fitGammaGamma = async (customers: readonly Spend[]): Promise<{ parameters: GammaGammaParameters; logLikelihood: number }> => {
  const of = (v: number[]): GammaGammaParameters => ({ p: exp(v[0]), q: exp(v[1]), gamma: exp(v[2]) });
  const negative = (v: number[]) => {
    const parameters = of(v);
    let sum = 0;
    for (const c of customers) sum += gammaGammaLogLikelihood(parameters, c);
    return -sum;
  };
  const minimum = await nelderMead(negative, [0, 0, 0]);
  return { parameters: of(minimum.x), logLikelihood: -minimum.value };
};

/**
 * E[mean spend | x, mean]: the population mean p·gamma/(q - 1) weighted against the customer's own
 * mean by how much it has bought; with no repeat purchase, the population mean.
 */
export const expectedSpend = ({ p, q, gamma }: GammaGammaParameters, { x, meanValue }: Spend): number =>
  x > 0 && meanValue > 0 ? ((gamma + meanValue * x) * p) / (p * x + q - 1) : (p * gamma) / (q - 1);
