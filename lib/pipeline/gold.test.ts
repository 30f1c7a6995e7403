import { describe, expect, it } from 'vitest';
import { parseFeatureWork } from '../app/messages.js';
import { FeatureDays, featureWorkFor, featureWorkForEvents } from './gold.js';
import { dayMs } from '../calendar/days.js';

describe('feature work', () => {
  it('coalesces each shard\'s feature days into runs of consecutive days, split at gaps and at the cap', () => {
    const days = new FeatureDays()
      .add({ from: '2026-03-01', to: '2026-03-03', shard: 1 })
      .add({ from: '2026-03-02', to: '2026-03-05', shard: 1 })
      .add({ from: '2026-03-09', to: '2026-03-09', shard: 1 })
      .add({ from: '2026-01-01', to: '2026-03-01', shard: 0 });
    const work = days.work();
    expect(work.filter((w) => w.shard === 1)).toEqual([
      { from: '2026-03-01', to: '2026-03-05', shard: 1 },
      { from: '2026-03-09', to: '2026-03-09', shard: 1 },
    ]);
    const shard0 = work.filter((w) => w.shard === 0);
    // 60 days: two full runs of 31 would be 62, so 31 + 29, covering every day once.
    expect(shard0.map((w) => w.from)).toEqual(['2026-01-01', '2026-02-01']);
    expect(shard0.map((w) => w.to)).toEqual(['2026-01-31', '2026-03-01']);
  });

  it('a new day asks for its own feature day only when it is the latest; a late day for the days it feeds', () => {
    const day = dayMs('2026-03-10');
    expect(featureWorkFor(day, day + 13 * 86_400_000, day, 2)).toEqual([
      { from: '2026-03-10', to: '2026-03-10', shard: 0 },
      { from: '2026-03-10', to: '2026-03-10', shard: 1 },
    ]);
    expect(featureWorkFor(day, day + 13 * 86_400_000, dayMs('2026-03-30'), 1)).toEqual([{ from: '2026-03-10', to: '2026-03-23', shard: 0 }]);
    expect(featureWorkFor(day, day, day - 86_400_000, 1)).toEqual([]);
  });

  it('a maintenance event reaches back over its label horizon and forward over the feature window', () => {
    expect(featureWorkForEvents(['2026-03-10', '2026-03-12'], dayMs('2026-03-20'), 1)).toEqual([{ from: '2026-03-03', to: '2026-03-20', shard: 0 }]);
  });

  it('a message must name a run of 1 to 31 days and a shard', () => {
    expect(parseFeatureWork({ from: '2026-03-01', to: '2026-03-31', shard: 2 })).toEqual({ from: '2026-03-01', to: '2026-03-31', shard: 2 });
    expect(() => parseFeatureWork({ from: '2026-03-01', to: '2026-04-01', shard: 2 })).toThrow(/1 to 31 days/);
    expect(() => parseFeatureWork({ from: '2026-03-02', to: '2026-03-01', shard: 2 })).toThrow(/1 to 31 days/);
    expect(() => parseFeatureWork({ featureDate: '2026-03-01', shard: 2 })).toThrow(/field from/);
  });
});
