import { describe, expect, it } from 'vitest';
import { baselineFromDays, calibrationDrift, dailySeries, driftLevel, ewmaOfDailyMeans, familyLevels, peerZ, selfZ, summarize, zTestPValue } from './calibration.js';
import { pnorm } from './distributions.js';

describe('calibration z-scores', () => {
  it('self z is a two-sample z of means with the baseline SD', () => {
    const baseline = { mean: 100, sd: 10, n: 400 };
    expect(selfZ({ mean: 103, n: 100 }, baseline)).toBeCloseTo(3 / Math.sqrt(1 + 0.25), 12);
    expect(selfZ({ mean: 103, n: 0 }, baseline)).toBeNull();
    // Between-day SD adds tau^2 / days.
    expect(selfZ({ mean: 103, n: 100, days: 4 }, { ...baseline, betweenDaySd: 2 })).toBeCloseTo(3 / Math.sqrt(1 + 1 + 0.25), 12);
  });

  it('peer z uses the other devices means, needs 3 peers', () => {
    expect(peerZ(10, [1, 2])).toBeNull();
    const p = peerZ(10, [4, 5, 6])!;
    expect(p).toEqual({ z: 5, peerMean: 5, peerSd: 1, peers: 3 });
    expect(peerZ(10, [5, 5, 5])).toBeNull();
  });

  it('CRITICAL strictly above |z| = 3, WARNING above 2', () => {
    expect(driftLevel(3)).toBe('WARNING');
    expect(driftLevel(3.0001)).toBe('CRITICAL');
    expect(driftLevel(-3.5)).toBe('CRITICAL');
    expect(driftLevel(2)).toBe('OK');
    expect(driftLevel(null)).toBe('OK');
  });

  it('in a family, CRITICAL also needs the z-test to survive Benjamini-Hochberg; the rest of |z| > 3 is WARNING', () => {
    const options = { criticalZ: 3, warningZ: 2, fdr: 0.05 };
    expect(zTestPValue(-1.96)).toBeCloseTo(2 * pnorm(-1.96), 15);
    // Three tests: p(3.5) = 4.65e-4 adjusted x 3/2, p(2.5) = 0.0124 adjusted x 1.
    const small = familyLevels([3.5, 2.5, null, -10], options);
    expect(small.map((l) => l.level)).toEqual(['CRITICAL', 'WARNING', 'OK', 'CRITICAL']);
    expect(small[0]!.pAdjusted).toBeCloseTo((zTestPValue(3.5) * 3) / 2, 15);
    expect(small[2]!.pAdjusted).toBeNull();
    // The same 3.5 among a thousand null tests: adjusted x 1003 / 2 = 0.23, no longer CRITICAL.
    const large = familyLevels([3.5, 2.5, null, -10, ...Array.from({ length: 1000 }, () => 0.1)], options);
    expect(large.slice(0, 4).map((l) => l.level)).toEqual(['WARNING', 'WARNING', 'OK', 'CRITICAL']);
    expect(large[0]!.pAdjusted).toBeCloseTo((zTestPValue(3.5) * 1003) / 2, 12);
    // |z| > 3 stays necessary whatever the p-value.
    expect(familyLevels([2.9], { ...options, fdr: 1 })[0]!.level).toBe('WARNING');
  });

  it('baselineFromDays pools the results and separates the between-day SD', () => {
    const a = [9, 10, 11];
    const b = [19, 20, 21];
    const base = baselineFromDays(dailySeries([{ ...summarize(a) }, null, { ...summarize(b) }]));
    const all = summarize([...a, ...b]);
    expect(base.n).toBe(6);
    expect(base.mean).toBeCloseTo(all.mean, 12);
    expect(base.sd).toBeCloseTo(all.sd, 12);
    // var of the two daily means = 50, within part = 1/3 -> tau^2 = 50 - 1/3.
    expect(base.betweenDaySd).toBeCloseTo(Math.sqrt(50 - 1 / 3), 12);
  });
});

describe('patient-based EWMA', () => {
  const baseline = { mean: 100, sd: 10, n: 10_000 };

  it('has the exact EWMA variance for a constant daily count', () => {
    const days = Array.from({ length: 30 }, () => ({ n: 100, mean: 100 }));
    const points = ewmaOfDailyMeans(dailySeries(days), baseline);
    points.forEach((p, i) => {
      const t = i + 1;
      const v = (0.2 / (2 - 0.2)) * (1 - 0.8 ** (2 * t)) * (100 / 100);
      expect(p.sigma).toBeCloseTo(Math.sqrt(v), 12);
      expect(p.alarm).toBe(false);
    });
  });

  it('finds a sustained 1.5 SE shift within 5 days, when no single day reaches |z| = 3', () => {
    const days = [
      ...Array.from({ length: 10 }, () => ({ n: 100, mean: 100 })),
      ...Array.from({ length: 10 }, () => ({ n: 100, mean: 101.5 })),
    ];
    const result = calibrationDrift(days, baseline);
    expect(result.slice(0, 10).every((d) => !d.alarm)).toBe(true);
    const first = result.findIndex((d) => d.alarm);
    expect(first).toBeGreaterThanOrEqual(10);
    expect(first - 10 + 1).toBeLessThanOrEqual(5);
    expect(result.every((d) => d.level !== 'CRITICAL')).toBe(true);
    expect(result[first]!.ewma.alarm).toBe(true);
  });

  it('flags a large shift CRITICAL on its first day; peers can raise the level; empty days carry the chart', () => {
    const days = [{ n: 50, mean: 100 }, null, { n: 50, mean: 106, peerMeans: [100, 101, 99, 100.5] }];
    const result = calibrationDrift(days, baseline);
    expect(result[1]!.mean).toBeNull();
    expect(result[1]!.ewma).toEqual({ ...result[0]!.ewma });
    expect(result[2]!.selfZ!).toBeGreaterThan(3);
    expect(result[2]!.level).toBe('CRITICAL');
    expect(result[2]!.peer!.z).toBeGreaterThan(3);
    const peerOnly = calibrationDrift([{ n: 5, mean: 104, peerMeans: [100, 100.2, 99.8] }], baseline)[0]!;
    expect(peerOnly.selfZ!).toBeLessThan(1);
    expect(peerOnly.level).toBe('CRITICAL');
  });
});
