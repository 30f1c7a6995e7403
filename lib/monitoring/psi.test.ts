import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg } from './multipleTesting.js';
import { populationStabilityIndex, psiLevel } from './psi.js';

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../test/fixtures/monitoring/${name}`, import.meta.url), 'utf8')) as T;

/** Made by reference/monitoring/ks_fixtures.py (numpy quantiles, right-closed bins, epsilon floor). */
const psiFixture = load<{ cases: Array<{ name: string; bins: number; epsilon: number; baseline: number[]; current: number[]; edges: number[]; psi: number }> }>('psi.json');
/** Made by reference/monitoring/surveillance_fixtures.R with R's p.adjust(method = "BH"). */
const bhFixture = load<{ cases: Array<{ name: string; p: Array<number | null>; adjusted: Array<number | null> }> }>('bh.json');

describe('populationStabilityIndex', () => {
  for (const c of psiFixture.cases) {
    it(`equals the numpy reference: ${c.name}`, () => {
      const r = populationStabilityIndex(c.baseline, c.current, { bins: c.bins, epsilon: c.epsilon });
      expect(r.edges).toEqual(c.edges);
      expect(Math.abs(r.psi - c.psi)).toBeLessThanOrEqual(1e-12 * Math.max(1, c.psi));
    });
  }

  it('defaults to 10 bins and epsilon 1e-4; identical samples give 0', () => {
    const base = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10);
    const same = populationStabilityIndex(base, base);
    expect(same.psi).toBe(0);
    expect(same.edges).toHaveLength(9);
    const shifted = populationStabilityIndex(base, base.map((x) => x + 100));
    // Everything in the top bin: shares floored at 1e-4 elsewhere.
    expect(shifted.currentShares.slice(0, 9).every((s) => s === 1e-4)).toBe(true);
    expect(psiLevel(shifted.psi)).toBe('major');
    expect(psiLevel(0.05)).toBe('stable');
    expect(psiLevel(0.2)).toBe('moderate');
  });
});

describe('benjaminiHochberg equals R p.adjust(method = "BH")', () => {
  for (const c of bhFixture.cases) {
    it(c.name, () => {
      const got = benjaminiHochberg(c.p);
      c.adjusted.forEach((want, i) => {
        if (want === null) expect(got[i]).toBeNull();
        else expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(1e-15);
      });
    });
  }
});
