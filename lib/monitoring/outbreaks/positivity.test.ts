import { describe, expect, it } from 'vitest';
import { positivityTrend } from './positivity.js';

describe('positivity trend', () => {
  it('rolls 7 days and compares with the week before', () => {
    const tests = Array.from({ length: 21 }, () => 100);
    const positives = [...Array.from({ length: 14 }, () => 5), ...Array.from({ length: 7 }, () => 10)];
    const r = positivityTrend(positives, tests);
    expect(r[5]!.rolling).toBeNull();
    expect(r[6]!.rolling).toBeCloseTo(0.05, 15);
    expect(r[13]!.weekOverWeek).toMatchObject({ previous: 0.05, change: 0, ratio: 1, direction: 'stable' });
    const last = r[20]!;
    expect(last.rolling).toBeCloseTo(0.1, 15);
    expect(last.weekOverWeek!.change).toBeCloseTo(0.05, 15);
    expect(last.weekOverWeek!.ratio).toBeCloseTo(2, 12);
    const pooled = 105 / 1400;
    expect(last.weekOverWeek!.z).toBeCloseTo(0.05 / Math.sqrt(pooled * (1 - pooled) * (2 / 700)), 10);
    expect(last.weekOverWeek!.direction).toBe('rising');
    expect(last.seasonal).toBeNull();
  });

  it('compares with the same weeks in previous years when present', () => {
    const days = 364 * 2 + 30;
    const tests = Array.from({ length: days }, () => 200);
    // 4% positivity in the past, 8% in the last week.
    const positives = Array.from({ length: days }, (_, t) => (t >= days - 7 ? 16 : 8));
    const r = positivityTrend(positives, tests);
    const last = r[days - 1]!;
    expect(last.seasonal!.years).toBe(2);
    expect(last.seasonal!.baseline).toBeCloseTo(0.04, 15);
    expect(last.seasonal!.deviation).toBeCloseTo(0.04, 15);
    expect(last.seasonal!.z).toBeCloseTo(0.04 / Math.sqrt((0.04 * 0.96) / 1400), 10);
    // Only one previous year reachable a year and a bit in.
    expect(r[364 + 20]!.seasonal!.years).toBe(1);
    expect(positivityTrend([1], [1], { years: 0 })[0]!.seasonal).toBeNull();
  });

  it('a range gives the points of the whole history on that range', () => {
    const days = 364 * 3 + 40;
    const tests = Array.from({ length: days }, (_, t) => 50 + ((t * 37) % 90));
    const positives = tests.map((n, t) => Math.floor((n * (3 + ((t * 11) % 17))) / 100));
    const full = positivityTrend(positives, tests);
    for (const range of [[days - 1, days - 1], [0, 6], [364 + 3, 2 * 364 + 9], [days - 60, days - 1]] as const) {
      expect(positivityTrend(positives, tests, { range })).toEqual(full.slice(range[0], range[1] + 1));
    }
    expect(full[days - 1]!.seasonal!.years).toBe(3);
    expect(() => positivityTrend(positives, tests, { range: [0, days] })).toThrow(/range/);
  });

  it('rejects impossible counts', () => {
    expect(() => positivityTrend([3], [2])).toThrow(/day 0/);
    expect(() => positivityTrend([1, 2], [2])).toThrow(/length/);
  });
});
