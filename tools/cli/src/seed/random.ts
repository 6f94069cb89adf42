import { createHash } from 'node:crypto';
import { nameBasedUuid } from '@clientela/contracts';

/**
 * A seeded generator (sfc32, seeded from SHA-256 of the name): the same name gives the same numbers on
 * every machine and Node version, which Math.random cannot. Each thing of the demo data set draws from
 * a generator named after it (`<seed>|customer|42`), so customer 42 is the same whatever else is made.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(name: string) {
    const hash = createHash('sha256').update(name).digest();
    [this.a, this.b, this.c, this.d] = [0, 4, 8, 12].map((offset) => hash.readUInt32LE(offset));
    for (let i = 0; i < 12; i++) this.next();
  }

  /** In [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** One of the items, each as likely as its weight. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, weight] of items) {
      r -= weight;
      if (r < 0) return item;
    }
    return items[items.length - 1][0];
  }

  /** Log-normal around `median` (a spend, a price): most near it, a long tail above. */
  logNormal(median: number, sigma: number): number {
    const u = 1 - this.next();
    const v = this.next();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * normal);
  }

  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
}

const SEED_NAMESPACE = '8d3f2a61-5b7c-4e0f-9a1d-2c6b8e4f7a03';

/** An id that depends only on the seed and what it names: the same in every run. */
export const seededId = (seed: string, name: string): string => nameBasedUuid(`${seed}|${name}`, SEED_NAMESPACE);
