import { bgNbdLogLikelihood, expectedPurchases, fitBgNbd, probabilityAlive } from './bg-nbd';
import { cdnowPurchaseDays } from './cdnow-fixture';
import { summarizeCustomers } from './customer-summary';
import { expectedSpend, fitGammaGamma } from './gamma-gamma';
import { hyp2f1, lnGamma } from './special-functions';

/** Rounded to 3 significant digits, as the published estimates are compared. */
const sig3 = (x: number): number => Number(x.toPrecision(3));

describe('the value model on the CDNOW sample, calibration end 1997-09-30 (Fader, Hardie & Lee 2005)', () => {
  const customers = summarizeCustomers(cdnowPurchaseDays('cdnow_sample.txt'), '1997-09-30');

  it('summarises the 2,357 customers of the cohort', () => {
    expect(customers).toHaveLength(2357);
    // The paper's sample: 1,411 customers made no repeat purchase in the 39 weeks.
    expect(customers.filter((c) => c.x === 0)).toHaveLength(1411);
  });

  it('fits BG/NBD to r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4', async () => {
    const { parameters, logLikelihood } = await fitBgNbd(customers);
    expect([parameters.r, parameters.alpha, parameters.a, parameters.b].map(sig3)).toEqual([0.243, 4.41, 0.793, 2.43]);
    expect(logLikelihood).toBeCloseTo(-9582.4, 1);
  });

  it('fits Gamma-Gamma on the customers with a repeat purchase to p = 6.25, q = 3.74, gamma = 15.44', async () => {
    const spenders = customers.filter((c) => c.x > 0 && c.meanRepeatValue > 0).map((c) => ({ x: c.x, meanValue: c.meanRepeatValue }));
    expect(spenders).toHaveLength(946);
    const { parameters } = await fitGammaGamma(spenders);
    expect([parameters.p, parameters.q, parameters.gamma].map(sig3)).toEqual([6.25, 3.74, 15.4]);
  });
});

describe('the value model\'s formulas', () => {
  const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

  it('computes ln Gamma and 2F1 to double precision', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 14);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(lnGamma(101)).toBeCloseTo(363.73937555556347, 10); // ln(100!)
    // 2F1(1, 1; 2; z) = -ln(1 - z) / z
    expect(hyp2f1(1, 1, 2, 0.5)).toBeCloseTo(-Math.log(0.5) / 0.5, 14);
  });

  it('gives P(alive) 1 without a repeat purchase, and less the longer since the last one', () => {
    expect(probabilityAlive(published, { x: 0, tx: 0, T: 38 })).toBe(1);
    const recent = probabilityAlive(published, { x: 4, tx: 36, T: 38 });
    const lapsed = probabilityAlive(published, { x: 4, tx: 10, T: 38 });
    expect(recent).toBeGreaterThan(lapsed);
    expect(recent).toBeLessThan(1);
  });

  it('expects more purchases over a longer horizon, none over none, and matches the paper\'s worked example', () => {
    const history = { x: 2, tx: 30.43, T: 38.86 };
    expect(expectedPurchases(published, history, 0)).toBe(0);
    expect(expectedPurchases(published, history, 52)).toBeGreaterThan(expectedPurchases(published, history, 26));
    // Fader, Hardie & Lee 2005, section 4: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226 purchases in the next 39 weeks.
    expect(expectedPurchases(published, history, 39)).toBeCloseTo(1.226, 2);
  });

  it('agrees with the likelihood of a customer with no repeat computed by hand', () => {
    // x = 0: ln[ B(a, b)/B(a, b) · Γ(r) α^r / Γ(r) · (α + T)^-r ] = r ln α - r ln(α + T)
    const { r, alpha } = published;
    expect(bgNbdLogLikelihood(published, { x: 0, tx: 0, T: 10 })).toBeCloseTo(r * Math.log(alpha) - r * Math.log(alpha + 10), 12);
  });

  it('shrinks a customer\'s mean spend toward the population mean', () => {
    const gg = { p: 6.25, q: 3.74, gamma: 15.44 };
    const population = (gg.p * gg.gamma) / (gg.q - 1);
    expect(expectedSpend(gg, { x: 0, meanValue: 0 })).toBeCloseTo(population, 10);
    const spender = expectedSpend(gg, { x: 3, meanValue: 100 });
    expect(spender).toBeGreaterThan(population);
    expect(spender).toBeLessThan(100);
  });
});
