import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../simulate/random.js';
import { passesWestgard, westgardFlags, westgardMultirule, westgardSeries, zScore, type WestgardRule, type WestgardRunResult, type WestgardScope, type WestgardViolation } from './westgard.js';

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

/**
 * The multirule as its definitions read, window by window (the implementation before the one-pass
 * version): the oracle the one-pass version must equal on every run.
 */
interface Measurement {
  readonly run: number;
  readonly level: number;
  readonly z: number;
}

const sameSide = (values: readonly Measurement[], limit: number): boolean =>
  values.every((m) => m.z > limit) || values.every((m) => m.z < -limit);

/** Whether some window of `length` consecutive measurements of `seq`, ending at a measurement of `run`, is all beyond the same +-limit. */
function windowTrips(seq: readonly Measurement[], run: number, length: number, limit: number): Measurement[] | null {
  for (let end = seq.length - 1; end >= length - 1 && seq[end]!.run === run; end--) {
    const window = seq.slice(end - length + 1, end + 1);
    if (sameSide(window, limit)) return window;
  }
  return null;
}

function referenceMultirule(runs: ReadonlyArray<ReadonlyArray<number | null>>): WestgardRunResult[] {
  const results: WestgardRunResult[] = [];
  const perLevel = new Map<number, Measurement[]>();
  const combined: Measurement[] = [];
  runs.forEach((levels, run) => {
    const current: Measurement[] = [];
    levels.forEach((z, level) => {
      if (z === null || z === undefined || Number.isNaN(z)) return;
      const m = { run, level, z };
      current.push(m);
      combined.push(m);
      let series = perLevel.get(level);
      if (!series) perLevel.set(level, (series = []));
      series.push(m);
    });
    const violations: WestgardViolation[] = [];
    const add = (rule: WestgardRule, scope: WestgardScope, ms: readonly Measurement[]) =>
      violations.push({ rule, scope, levels: [...new Set(ms.map((m) => m.level))] });

    const beyond2 = current.filter((m) => Math.abs(m.z) > 2);
    if (beyond2.length > 0) add('1-2s', 'run', beyond2);
    const beyond3 = current.filter((m) => Math.abs(m.z) > 3);
    if (beyond3.length > 0) add('1-3s', 'run', beyond3);

    const high2 = current.filter((m) => m.z > 2);
    const low2 = current.filter((m) => m.z < -2);
    if (high2.length >= 2) add('2-2s', 'within-run', high2);
    if (low2.length >= 2) add('2-2s', 'within-run', low2);
    for (const m of current) {
      const series = perLevel.get(m.level)!;
      const window = windowTrips(series, run, 2, 2);
      if (window) add('2-2s', 'across-runs', window);
    }

    if (high2.length >= 1 && low2.length >= 1) add('R-4s', 'within-run', [...high2, ...low2]);

    for (const [rule, length, limit] of [
      ['4-1s', 4, 1],
      ['10x', 10, 0],
    ] as const) {
      for (const level of new Set(current.map((m) => m.level))) {
        const window = windowTrips(perLevel.get(level)!, run, length, limit);
        if (window) add(rule, 'across-runs', window);
      }
      const window = windowTrips(combined, run, length, limit);
      if (window && new Set(window.map((m) => m.level)).size > 1) add(rule, 'across-levels', window);
    }

    const has = (rule: WestgardRule) => violations.some((v) => v.rule === rule);
    const flags = {
      warning12s: has('1-2s'),
      r13s: has('1-3s'),
      r22s: has('2-2s'),
      rR4s: has('R-4s'),
      r41s: has('4-1s'),
      r10x: has('10x'),
    };
    results.push({ ...flags, reject: flags.r13s || flags.r22s || flags.rR4s || flags.r41s || flags.r10x, violations });
  });
  return results;
}


describe('the one-pass multirule equals the window-by-window definitions', () => {
  // Control values that drift in and out of bias so that every rule trips somewhere; levels go missing.
  const rng = new Rng(5, 3);
  const series = Array.from({ length: 200 }, (_, s) => {
    const levels = 1 + (s % 3);
    let bias = 0;
    return Array.from({ length: 60 }, () => {
      bias = rng.next() < 0.1 ? 2.5 * (rng.next() - 0.5) : bias;
      return Array.from({ length: levels }, () => (rng.next() < 0.1 ? null : bias + rng.normal()));
    });
  });

  it('on every run of 200 random series (1-3 levels, 10% of measurements missing)', () => {
    const tripped = new Set<string>();
    for (const runs of series) {
      const results = westgardMultirule(runs);
      expect(results).toEqual(referenceMultirule(runs));
      for (const r of results) for (const v of r.violations) tripped.add(`${v.rule} ${v.scope}`);
    }
    expect(tripped.size).toBe(9);
  });

  it('evaluating from a later run equals the full evaluation on that range', () => {
    for (const runs of series.slice(0, 50)) {
      const full = westgardMultirule(runs);
      for (const from of [1, 9, 10, 45, 60]) expect(westgardMultirule(runs, from)).toEqual(full.slice(from));
    }
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
