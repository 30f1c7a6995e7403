import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { farringtonFlexible, type FarringtonOptions } from './farrington.js';

/** Made by reference/monitoring/surveillance_fixtures.R with Debian's r-cran-surveillance. */
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/monitoring/farrington.json', import.meta.url), 'utf8')) as {
  surveillance: string;
  series: Record<string, { freq: number; observed: number[]; dates: string[] | null; population: number[] | null }>;
  cases: Array<{
    name: string;
    series: string;
    control: { noPeriods?: number; pastWeeksNotIncluded?: number; reweight?: boolean; trend?: boolean; alpha?: number; powertrans?: '2/3' | '1/2' | 'none'; populationOffset?: boolean; thresholdMethod?: 'delta' | 'nbPlugin' | 'muan'; range?: number[] };
    range: number[];
    upperbound: Array<number | null>;
    alarm: Array<boolean | null>;
    expected: Array<number | null>;
    score: Array<number | null>;
    pvalue: Array<number | null>;
    phi: Array<number | null>;
    trend: Array<number | null>;
  }>;
};

/** Relative tolerance on thresholds, expected counts and scores (plus 1e-9 absolute, for scores near 0). */
const REL = 1e-6;

function close(got: number | null, want: number | null, what: string): void {
  if (want === null) {
    expect(got, what).toBeNull();
    return;
  }
  expect(got, what).not.toBeNull();
  expect(Math.abs(got! - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(REL * Math.abs(want) + 1e-9);
}

describe('farringtonFlexible equals surveillance::farringtonFlexible', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const series = fixture.series[c.series]!;
      const { range: r1, ...rest } = c.control;
      const options: FarringtonOptions = { ...rest, freq: series.freq, ...(r1 ? { range: [r1[0]! - 1, r1[r1.length - 1]! - 1] as const } : {}) };
      const result = farringtonFlexible(
        { observed: series.observed, ...(series.dates ? { dates: series.dates } : {}), ...(series.population ? { population: series.population } : {}) },
        options,
      );
      expect(result).toHaveLength(series.observed.length);
      c.range.forEach((k1, j) => {
        const got = result[k1 - 1]!;
        close(got.threshold, c.upperbound[j]!, `upperbound k=${k1}`);
        expect(got.alarm, `alarm k=${k1}`).toBe(c.alarm[j]);
        // Where no model converged surveillance leaves `expected` at its initial 0 (and every other
        // output NA); ours is null like the rest.
        if (c.phi[j] === null) expect(got.expected).toBeNull();
        else close(got.expected, c.expected[j]!, `expected k=${k1}`);
        close(got.score, c.score[j]!, `score k=${k1}`);
        close(got.phi, c.phi[j]!, `phi k=${k1}`);
        expect(got.trend === null ? null : got.trend ? 1 : 0, `trend k=${k1}`).toBe(c.trend[j]);
        if (c.pvalue[j] !== null && c.pvalue[j]! > 1e-300) close(got.pvalue, c.pvalue[j]!, `pvalue k=${k1}`);
      });
      for (let k = 0; k < c.range[0]! - 1; k++) expect(result[k]!.alarm).toBeNull();
    });
  }
});

describe('farringtonFlexible input', () => {
  it('needs b years of history, rejects negative counts, and reads dates', () => {
    const short = farringtonFlexible({ observed: Array.from({ length: 200 }, () => 3) });
    expect(short.every((p) => p.threshold === null && p.alarm === null)).toBe(true);
    expect(() => farringtonFlexible({ observed: [1, -1, 2] })).toThrow(/negative/);
    expect(() => farringtonFlexible({ observed: [1, 2], dates: ['2024-01-01', 'x'] })).toThrow(/ISO date/);
    expect(() => farringtonFlexible({ observed: [1, 2] }, { populationOffset: true })).toThrow(/population/);
  });
});
