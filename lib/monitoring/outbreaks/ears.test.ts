import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { earsC, type EarsMethod } from './ears.js';

/** Made by reference/monitoring/surveillance_fixtures.R with Debian's r-cran-surveillance. */
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/monitoring/ears.json', import.meta.url), 'utf8')) as {
  surveillance: string;
  cases: Array<{
    name: string;
    observed: number[];
    control: { method: EarsMethod; alpha?: number; baseline?: number; minSigma?: number };
    range: number[];
    alpha: number;
    upperbound: Array<number | null>;
    alarm: Array<boolean | null>;
  }>;
};

describe('EARS C1/C2/C3 equal surveillance::earsC', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const result = earsC(c.observed, c.control);
      const first = c.range[0]! - 1;
      // Periods before the default range are not evaluated.
      for (let t = 0; t < first; t++) expect(result[t]!.threshold).toBeNull();
      c.range.forEach((r1, j) => {
        const got = result[r1 - 1]!;
        const want = c.upperbound[j]!;
        if (want === null) expect(got.threshold, `t=${r1}`).toBeNull();
        else expect(Math.abs(got.threshold! - want), `t=${r1}: ${got.threshold} vs ${want}`).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(want)));
        expect(got.alarm, `alarm t=${r1}`).toBe(c.alarm[j]);
      });
    });
  }

  it('uses earsC defaults: alpha 0.001 (C1, C2), 0.025 (C3), baseline 7', () => {
    const y = [5, 6, 7, 5, 6, 7, 5, 6, 7, 5, 30, 6, 7];
    const c1 = earsC(y);
    expect(c1[6]!.threshold).toBeNull();
    expect(c1[7]!.threshold).not.toBeNull();
    expect(c1[10]!.alarm).toBe(true);
    expect(earsC(y, { method: 'C2' })[8]!.threshold).toBeNull();
    expect(earsC(y, { method: 'C3' })[11]!.threshold).not.toBeNull();
    expect(() => earsC(y, { baseline: 2 })).toThrow(/baseline/);
  });
});
