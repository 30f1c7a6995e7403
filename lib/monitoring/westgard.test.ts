import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { passesWestgard, westgardFlags, westgardMultirule, westgardSeries, zScore, type WestgardRule } from './westgard.js';

/** Hand-made from Westgard's definitions: per rule, a series that trips it and one that just does not. */
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/monitoring/westgard.json', import.meta.url), 'utf8')) as {
  cases: Array<{ rule: WestgardRule; kind: 'trips' | 'just-not'; note?: string; runs: Array<Array<number | null>>; expect: WestgardRule[] }>;
};

const ALL: WestgardRule[] = ['1-2s', '1-3s', '2-2s', 'R-4s', '4-1s', '10x'];

describe('westgardMultirule', () => {
  for (const c of fixture.cases) {
    it(`${c.rule} ${c.kind}${c.note ? `: ${c.note}` : ''}`, () => {
      const results = westgardMultirule(c.runs);
      const last = results[results.length - 1]!;
      const tripped = ALL.filter((rule) => last.violations.some((v) => v.rule === rule));
      expect(tripped).toEqual(c.expect);
      if (c.kind === 'trips') expect(tripped).toContain(c.rule);
      else expect(tripped).not.toContain(c.rule);
      const flags = { '1-2s': last.warning12s, '1-3s': last.r13s, '2-2s': last.r22s, 'R-4s': last.rR4s, '4-1s': last.r41s, '10x': last.r10x };
      for (const rule of ALL) expect(flags[rule], rule).toBe(c.expect.includes(rule));
      expect(last.reject).toBe(c.expect.some((r) => r !== '1-2s'));
      // The pattern completes on the last run only: no earlier run tripped the rule under test.
      if (c.kind === 'trips') for (const earlier of results.slice(0, -1)) expect(earlier.violations.some((v) => v.rule === c.rule)).toBe(false);
    });
  }

  it('reports the scope of each violation and skips levels missing from a run', () => {
    const [, second] = westgardMultirule([
      [2.5, 2.6],
      [2.4, null],
    ]);
    expect(second!.violations.filter((v) => v.rule === '2-2s')).toEqual([{ rule: '2-2s', scope: 'across-runs', levels: [0] }]);
    const within = westgardMultirule([[2.5, 2.6]])[0]!;
    expect(within.violations.find((v) => v.rule === '2-2s')).toEqual({ rule: '2-2s', scope: 'within-run', levels: [0, 1] });
    // A level's previous measurement may be several runs back.
    const gap = westgardMultirule([[2.2, 0], [null, 0.1], [2.3, 0.2]]);
    expect(gap[2]!.r22s).toBe(true);
  });

  it('westgardSeries is the one-level multirule', () => {
    const z = [0.1, 2.1, 2.3, -0.5, 3.2];
    expect(westgardSeries(z)).toEqual(westgardMultirule(z.map((v) => [v])));
    expect(westgardSeries(z).map((r) => r.reject)).toEqual([false, false, true, false, true]);
  });
});

describe('gold helpers stay as they were', () => {
  it('zScore, westgardFlags and passesWestgard', () => {
    expect(zScore(12, 10, 2)).toBe(1);
    expect(zScore(12, 10, 0)).toBe(0);
    expect(westgardFlags(3.5, null)).toEqual({ r13s: true, r22s: false });
    expect(westgardFlags(2.5, 2.1)).toEqual({ r13s: false, r22s: true });
    expect(westgardFlags(-2.5, 2.1)).toEqual({ r13s: false, r22s: false });
    expect(passesWestgard(westgardFlags(1, 2.5))).toBe(true);
    expect(passesWestgard(westgardFlags(-3.1, 0))).toBe(false);
  });
});
