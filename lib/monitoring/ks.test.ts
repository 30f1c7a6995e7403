import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kolmognSf, ks2samp, kstwoSf, smirnovSf } from './ks.js';

/** Made by reference/monitoring/ks_fixtures.py with Debian's python3-scipy. */
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/monitoring/ks.json', import.meta.url), 'utf8')) as {
  scipy: string;
  cases: Array<{
    name: string;
    n1: number;
    n2: number;
    statistic: number;
    pvalue: number;
    sample1?: number[];
    sample2?: number[];
    recipe1?: Recipe;
    recipe2?: Recipe;
  }>;
  kstwoSf: Array<{ n: number; d: number; sf: number }>;
  smirnovSf: Array<{ n: number; x: number; sf: number }>;
};

interface Recipe {
  seed: number;
  n: number;
  offset: number;
  scale: number;
  levels: number;
}

/** mulberry32, bit for bit as the fixture script draws its large samples. */
function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function recipeSample(r: Recipe): Float64Array {
  const rng = mulberry32(r.seed);
  const out = new Float64Array(r.n);
  for (let i = 0; i < r.n; i++) {
    let u = rng();
    if (r.levels > 0) u = Math.floor(u * r.levels) / r.levels;
    out[i] = r.offset + r.scale * u;
  }
  return out;
}

const TOL = 1e-9;

describe('ks2samp equals scipy.stats.ks_2samp (method auto, two-sided)', () => {
  for (const c of fixture.cases) {
    it(`${c.name} (n1=${c.n1}, n2=${c.n2})`, () => {
      const a = c.sample1 ?? recipeSample(c.recipe1!);
      const b = c.sample2 ?? recipeSample(c.recipe2!);
      const r = ks2samp(a, b);
      expect(r.method).toBe(Math.max(c.n1, c.n2) > 10000 ? 'asymp' : 'exact');
      expect(r.tail).toBe(c.name.includes('(tail)'));
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(r.pvalue - c.pvalue)).toBeLessThanOrEqual(TOL);
      // Relative agreement too, where the p-value is not tiny; in the tail, with exactTail.
      const rel = r.tail ? ks2samp(a, b, { exactTail: true }) : r;
      if (c.pvalue > 1e-300) expect(Math.abs(rel.pvalue - c.pvalue) / c.pvalue).toBeLessThan(1e-7);
      else expect(rel.pvalue).toBeLessThanOrEqual(1e-300);
    });
  }

  it('is symmetric in its samples and rejects empty ones', () => {
    const a = [1, 5, 2, 8, 3];
    const b = [4, 4, 9, 0.5];
    expect(ks2samp(a, b)).toEqual({ ...ks2samp(b, a), n1: 5, n2: 4 });
    expect(() => ks2samp([], [1])).toThrow(/non-empty/);
    expect(Number.isNaN(ks2samp([1, NaN], [2]).pvalue)).toBe(true);
  });
});

describe('the Kolmogorov distributions behind the asymptotic p-value', () => {
  it('kstwo.sf equals scipy on a grid covering every branch', () => {
    for (const g of fixture.kstwoSf) {
      const v = kstwoSf(g.d, g.n);
      expect(Math.abs(v - g.sf), `n=${g.n} d=${g.d}: ${v} vs ${g.sf}`).toBeLessThanOrEqual(TOL);
      if (g.sf > 1e-290) expect(Math.abs(v - g.sf) / g.sf, `n=${g.n} d=${g.d}`).toBeLessThan(1e-8);
    }
    expect(kolmognSf(10, 0)).toBe(1);
  });

  it('smirnov (one-sided) equals scipy.special.smirnov', () => {
    for (const g of fixture.smirnovSf) {
      const v = smirnovSf(g.n, g.x);
      expect(Math.abs(v - g.sf), `n=${g.n} x=${g.x}`).toBeLessThanOrEqual(TOL);
      if (g.sf > 1e-290) expect(Math.abs(v - g.sf) / g.sf, `n=${g.n} x=${g.x}`).toBeLessThan(1e-8);
    }
  });
});
