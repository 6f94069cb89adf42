// Local bindings: under jest's sandbox every global lookup of `Math` in a hot loop costs about 20x.
const { PI, abs, log, min, sin } = Math;

/** Numerical pieces of the value model; no dependency needed for these few. */

// Lanczos approximation, g = 7, n = 9 (the coefficients Numerical Recipes and Boost use): about
// 15 significant digits for x > 0, which the likelihoods need (they add thousands of these).
const G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export const lnGamma = (x: number): number => {
  if (x < 0.5) return log(PI / sin(PI * x)) - lnGamma(1 - x);
  const y = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < G + 2; i++) sum += LANCZOS[i] / (y + i);
  const t = y + G + 0.5;
  return 0.5 * log(2 * PI) + (y + 0.5) * log(t) - t + log(sum);
};

/** ln B(a, b). */
export const lnBeta = (a: number, b: number): number => lnGamma(a) + lnGamma(b) - lnGamma(a + b);

/**
 * Gauss's hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, by its power series. In the BG/NBD
 * forecast z = t / (alpha + T + t) stays well below 1 for any horizon a forecast uses.
 */
export const hyp2f1 = (a: number, b: number, c: number, z: number): number => {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 needs 0 <= z < 1 (got ${z})`);
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 100_000; n++) {
    term *= ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    sum += term;
    if (abs(term) <= 1e-15 * abs(sum)) return sum;
  }
  throw new RangeError(`hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge`);
};

export interface Minimum {
  x: number[];
  value: number;
  iterations: number;
}

export interface NelderMeadOptions {
  tolerance?: number;
  xTolerance?: number;
  maxIterations?: number;
  step?: number;
}

/**
 * Nelder-Mead simplex minimisation (Lagarias et al. 1998 coefficients), restarted from its best
 * point until a restart no longer improves it (at most 5 times): the likelihoods here are smooth with
 * one optimum, and the restarts guard against the simplex collapsing early. It stops when the values
 * at the simplex's points agree to `tolerance` (relative) or the points themselves to `xTolerance`:
 * a sum of thousands of terms carries rounding noise near 1e-13 of its value, so a value test alone
 * can keep a converged simplex shrinking for thousands of steps.
 * It hands the event loop back every `sliceMs` of work: a fit of a large customer base takes seconds,
 * and the service answers other requests (and its health checks) meanwhile.
 */
export const nelderMead = async (f: (x: number[]) => number, start: number[], options: NelderMeadOptions & { sliceMs?: number } = {}): Promise<Minimum> => {
  const steps = nelderMeadSteps(f, start, options);
  let sliceStart = Date.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (Date.now() - sliceStart >= (options.sliceMs ?? 20)) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = Date.now();
    }
  }
};

/** The simplex's iterations, one per step of the generator; its return value is the minimum. */
function* nelderMeadSteps(f: (x: number[]) => number, start: number[], options: NelderMeadOptions): Generator<void, Minimum> {
  const tolerance = options.tolerance ?? 1e-11;
  const xTolerance = options.xTolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 20_000;
  const n = start.length;
  const value = (x: number[]): number => {
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let best: Minimum = { x: start, value: value(start), iterations: 0 };
  for (let restart = 0; restart < 5; restart++) {
    const simplex: Array<{ x: number[]; v: number }> = [{ x: best.x, v: best.value }];
    for (let i = 0; i < n; i++) {
      const x = [...best.x];
      x[i] += options.step ?? 0.5;
      simplex.push({ x, v: value(x) });
    }
    let iterations = 0;
    for (; iterations < maxIterations; iterations++) {
      simplex.sort((p, q) => p.v - q.v);
      const lowest = simplex[0];
      const highest = simplex[n];
      if (abs(highest.v - lowest.v) <= tolerance * (abs(lowest.v) + tolerance)) break;
      if (simplex.every((p) => p.x.every((xi, j) => abs(xi - lowest.x[j]) <= xTolerance))) break;
      const centroid = Array.from({ length: n }, (_, j) => simplex.slice(0, n).reduce((s, p) => s + p.x[j], 0) / n);
      const along = (t: number) => centroid.map((c, j) => c + t * (highest.x[j] - c));
      const reflected = along(-1);
      const vr = value(reflected);
      if (vr < lowest.v) {
        const expanded = along(-2);
        const ve = value(expanded);
        simplex[n] = ve < vr ? { x: expanded, v: ve } : { x: reflected, v: vr };
      } else if (vr < simplex[n - 1].v) {
        simplex[n] = { x: reflected, v: vr };
      } else {
        const contracted = vr < highest.v ? along(-0.5) : along(0.5);
        const vc = value(contracted);
        if (vc < min(vr, highest.v)) {
          simplex[n] = { x: contracted, v: vc };
        } else {
          for (let i = 1; i <= n; i++) {
            const x = simplex[i].x.map((xi, j) => lowest.x[j] + 0.5 * (xi - lowest.x[j]));
            simplex[i] = { x, v: value(x) };
          }
        }
      }
      yield;
    }
    simplex.sort((p, q) => p.v - q.v);
    const improved = best.value - simplex[0].v > tolerance * (abs(best.value) + tolerance);
    best = { x: simplex[0].x, value: simplex[0].v, iterations: best.iterations + iterations };
    if (!improved && restart > 0) break;
  }
  return best;
}
