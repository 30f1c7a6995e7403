import { describe, expect, it } from 'vitest';
import { seededRandom, spaceTimePermutationScan } from './scan.js';

/** Poisson draws by inversion (small means), from the module's seeded PRNG. */
function poisson(random: () => number, mean: number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  const u = random();
  while (u > cdf && k < 1000) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

/** 30 regions x 60 days of background counts; region means differ, with a weekday pattern. */
function background(seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: 30 }, (_, z) =>
    Array.from({ length: 60 }, (_, d) => poisson(random, (1 + (z % 5)) * (d % 7 < 5 ? 1.2 : 0.6))),
  );
}

describe('space-time permutation scan', () => {
  it('finds a cluster injected in one region over the last 3 days', () => {
    const counts = background(7);
    const row = counts[12]!;
    row[57]! += 6;
    row[58]! += 9;
    row[59]! += 12;
    const result = spaceTimePermutationScan(counts, { replicas: 999, seed: 42 });
    const top = result.clusters[0]!;
    expect(top.regions).toEqual([12]);
    expect(top.end).toBe(59);
    expect(top.start).toBeGreaterThanOrEqual(55);
    expect(top.observed).toBeGreaterThan(top.expected * 2);
    expect(top.pvalue).toBeLessThanOrEqual(0.01);
    expect(top.llr).toBeGreaterThan(result.criticalLlr05!);
    // Secondary clusters never share a region with earlier ones and are not significant here.
    expect(result.clusters.slice(1).every((c) => c.regions[0] !== 12 && c.pvalue > 0.05)).toBe(true);
  });

  it('reports nothing on background noise beyond the nominal 5% (p-values calibrated)', () => {
    const pvalues = Array.from({ length: 20 }, (_, s) => spaceTimePermutationScan(background(100 + s), { replicas: 199, seed: s }).clusters[0]!.pvalue);
    // Under no space-time interaction about 1 in 20 is below 0.05; 4 or more would be a 1.6% event.
    expect(pvalues.filter((p) => p <= 0.05).length).toBeLessThanOrEqual(3);
    const sorted = [...pvalues].sort((a, b) => a - b);
    expect(sorted[10]!).toBeGreaterThan(0.2);
  });

  it('stops early once no cluster can reach p < stopAbove, with the same decisions as every replica', () => {
    const quiet = background(31);
    const full = spaceTimePermutationScan(quiet, { replicas: 999, seed: 3 });
    const early = spaceTimePermutationScan(quiet, { replicas: 999, seed: 3, stopAbove: 0.05 });
    expect(full.clusters[0]!.pvalue).toBeGreaterThan(0.05);
    expect(early.replicas).toBeLessThan(999);
    expect(early.criticalLlr05).toBeNull();
    expect(early.clusters.map((c) => [c.regions, c.start, c.end, c.pvalue >= 0.05])).toEqual(full.clusters.map((c) => [c.regions, c.start, c.end, c.pvalue >= 0.05]));
    const outbreak = background(31);
    outbreak[4]![58]! += 12;
    outbreak[4]![59]! += 14;
    const significant = spaceTimePermutationScan(outbreak, { replicas: 999, seed: 3, stopAbove: 0.05 });
    expect(significant.replicas).toBe(999);
    expect(significant.clusters[0]).toMatchObject({ regions: [4], end: 59 });
    expect(significant.clusters[0]!.pvalue).toBeLessThan(0.05);
  });

  it('gives the same clusters with each region as its own zone whether or not the zones are listed in region order', () => {
    const counts = background(23);
    counts[8]![58]! += 9;
    counts[8]![59]! += 11;
    const summary = (zones?: number[][]) =>
      spaceTimePermutationScan(counts, { replicas: 199, seed: 4, ...(zones ? { zones } : {}) })
        .clusters.map((c) => `${c.regions}|${c.start}|${c.end}|${c.observed}|${c.llr.toFixed(9)}|${c.pvalue}`)
        .sort();
    const reversed = Array.from({ length: counts.length }, (_, z) => [counts.length - 1 - z]);
    expect(summary()).toEqual(summary(reversed));
    expect(summary().some((c) => c.startsWith('8|'))).toBe(true);
  });

  it('finds a past cluster in retrospective mode and is reproducible with a seed', () => {
    const counts = background(11);
    counts[3]![20]! += 14;
    counts[3]![21]! += 16;
    const retro = spaceTimePermutationScan(counts, { prospective: false, replicas: 199, seed: 5 });
    expect(retro.clusters[0]).toMatchObject({ regions: [3], start: 20, end: 21 });
    expect(retro.clusters[0]!.pvalue).toBeLessThanOrEqual(0.01);
    const again = spaceTimePermutationScan(counts, { prospective: false, replicas: 199, seed: 5 });
    expect(again).toEqual(retro);
    // Prospective mode ignores windows that end before the last day.
    const pro = spaceTimePermutationScan(counts, { replicas: 199, seed: 5 });
    expect(pro.clusters[0]!.end).toBe(59);
    expect(pro.clusters[0]!.pvalue).toBeGreaterThan(0.05);
  });

  it('scans caller-given zones (region sets) and computes expected counts from both margins', () => {
    const counts = [
      [1, 1, 1, 5],
      [1, 1, 1, 5],
      [2, 2, 2, 2],
    ];
    const result = spaceTimePermutationScan(counts, { zones: [[0, 1], [2]], maxWindow: 1, replicas: 99 });
    const top = result.clusters[0]!;
    expect(top.regions).toEqual([0, 1]);
    // C = 24, zone {0,1}: 16 cases, last day: 12 cases -> mu = 16 * 12 / 24 = 8.
    expect(top.expected).toBe(8);
    expect(top.observed).toBe(10);
    expect(spaceTimePermutationScan([[0, 0]], {}).clusters).toEqual([]);
    expect(() => spaceTimePermutationScan([[1, 2], [1]])).toThrow(/region 1/);
    expect(() => spaceTimePermutationScan([[1, 2.5]])).toThrow(/integer/);
  });
});
