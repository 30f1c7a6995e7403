import { describe, expect, it } from 'vitest';
import { cusum } from './cusum.js';

describe("Page's CUSUM", () => {
  const flat = Array.from({ length: 60 }, (_, i) => 10 + ((i * 7) % 5) - 2); // 8..12, mean 10

  it('is not evaluated before a full baseline + guard, and stays quiet in control', () => {
    const r = cusum(flat);
    expect(r.slice(0, 30).every((p) => p.threshold === null && p.alarm === null)).toBe(true);
    expect(r[30]!.threshold).not.toBeNull();
    expect(r.slice(30).every((p) => p.alarm === false)).toBe(true);
  });

  it('accumulates a sustained shift, alarms exactly when the count exceeds its threshold, then resets', () => {
    const y = [...flat.slice(0, 40), ...Array.from({ length: 10 }, () => 14)];
    const r = cusum(y);
    const first = r.findIndex((p) => p.alarm);
    expect(first).toBeGreaterThanOrEqual(40);
    expect(first).toBeLessThanOrEqual(44);
    for (const p of r.slice(30)) expect(p.alarm).toBe(p.observed > p.threshold!);
    // S_t = max(0, S_{t-1} + z - k), reset after the alarm.
    const at = r[first]!;
    expect(at.cusum!).toBeGreaterThan(5);
    const next = r[first + 1]!;
    expect(next.cusum).toBeCloseTo(Math.max(0, next.z! - 0.5), 12);
    const noReset = cusum(y, { resetAfterAlarm: false });
    expect(noReset.slice(first).every((p) => p.alarm)).toBe(true);
  });

  it('floors the baseline SD at minSigma (zeros) and uses the stated defaults', () => {
    const zeros = [...Array.from({ length: 40 }, () => 0), 7];
    const r = cusum(zeros);
    expect(r[40]).toMatchObject({ mean: 0, sd: 1, z: 7, alarm: true });
    expect(r[40]!.threshold).toBeCloseTo(5.5, 12);
    expect(cusum(zeros, { minSigma: 0.5 })[40]!.sd).toBe(0.5);
  });
});
