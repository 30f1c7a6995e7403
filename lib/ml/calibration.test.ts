import { describe, expect, test } from 'vitest';
import { Rng } from '../simulate/random.js';
import { applyPlatt, fitPlatt } from './calibration.js';
import { sigmoid } from './model.js';

describe('fitPlatt', () => {
  test('recovers a known logistic map of the margin', () => {
    const rng = new Rng(3);
    const n = 100_000;
    const margins = Float64Array.from({ length: n }, () => 2 * rng.normal());
    const labels = Uint8Array.from(margins, (m) => (rng.chance(sigmoid(0.5 * m - 1)) ? 1 : 0));
    const fit = fitPlatt(margins, labels);
    expect(fit.method).toBe('platt');
    expect(fit.a).toBeCloseTo(0.5, 1);
    expect(fit.b).toBeCloseTo(-1, 1);
    expect(Math.abs(fit.a - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(fit.b + 1)).toBeLessThan(0.03);
    expect(applyPlatt(fit, 2)).toBeCloseTo(sigmoid(fit.a * 2 + fit.b), 15);
  });

  test('hard targets: the fitted mean probability equals the positive rate (MLE with an intercept)', () => {
    const rng = new Rng(4);
    const n = 20_000;
    const margins = Float64Array.from({ length: n }, () => rng.normal() + 1.5);
    const labels = Uint8Array.from(margins, (m) => (rng.chance(sigmoid(1.7 * m - 4)) ? 1 : 0));
    const fit = fitPlatt(margins, labels, { smoothTargets: false });
    let meanP = 0;
    for (const m of margins) meanP += sigmoid(fit.a * m + fit.b);
    const rate = labels.reduce((s, v) => s + v, 0) / n;
    expect(meanP / n).toBeCloseTo(rate, 6);
  });

  test('refuses a one-class calibration set', () => {
    expect(() => fitPlatt([0.1, 0.2], [0, 0])).toThrow(/needs both classes/);
    expect(() => fitPlatt([0.1], [0, 1])).toThrow(/1 margins but 2 labels/);
  });
});
