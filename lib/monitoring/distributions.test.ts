import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pnbinom, pnorm, ppois, qnbinom, qnorm, qpois, studentTTwoSided } from './distributions.js';

/** Made by reference/monitoring/surveillance_fixtures.R with R's pnorm, qnorm and pt. */
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/monitoring/normal.json', import.meta.url), 'utf8')) as {
  pnorm: Array<{ x: number; lower: number; upper: number }>;
  qnorm: Array<{ p: number; q: number }>;
  pt: Array<{ t: number; df: number; p: number }>;
};

const rel = (a: number, b: number) => (b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b));

describe('distribution functions equal R', () => {
  it('pnorm (both tails)', () => {
    for (const r of fixture.pnorm) {
      expect(rel(pnorm(r.x), r.lower), `x=${r.x}`).toBeLessThanOrEqual(1e-15);
      expect(rel(pnorm(r.x, 0, 1, false), r.upper), `x=${r.x}`).toBeLessThanOrEqual(1e-15);
    }
  });
  it('qnorm', () => {
    for (const r of fixture.qnorm) expect(rel(qnorm(r.p), r.q), `p=${r.p}`).toBeLessThanOrEqual(1e-15);
  });
  it('two-sided t p-values', () => {
    for (const r of fixture.pt) expect(rel(studentTTwoSided(r.t, r.df), r.p), `t=${r.t} df=${r.df}`).toBeLessThanOrEqual(1e-12);
  });
});

const discrete = JSON.parse(readFileSync(new URL('../../test/fixtures/monitoring/normal.json', import.meta.url), 'utf8')) as {
  qpois: Array<{ p: number; lambda: number; q: number; upper: number }>;
  qnbinom: Array<{ p: number; size: number; prob: number; q: number; upper: number }>;
};

describe('discrete quantiles and tails equal R (Farrington nbPlugin / muan thresholds)', () => {
  it('qpois and ppois', () => {
    for (const r of discrete.qpois) {
      expect(qpois(r.p, r.lambda), `p=${r.p} lambda=${r.lambda}`).toBe(r.q);
      expect(rel(ppois(r.lambda * 1.5, r.lambda, false), r.upper), `lambda=${r.lambda}`).toBeLessThanOrEqual(1e-9);
    }
  });
  it('qnbinom and pnbinom', () => {
    for (const r of discrete.qnbinom) {
      expect(qnbinom(r.p, r.size, r.prob), `p=${r.p} size=${r.size} prob=${r.prob}`).toBe(r.q);
      expect(rel(pnbinom(3 * r.size, r.size, r.prob, false), r.upper), `size=${r.size} prob=${r.prob}`).toBeLessThanOrEqual(1e-9);
    }
  });
});
