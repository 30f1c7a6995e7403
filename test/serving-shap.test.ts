import { describe, expect, it } from 'vitest';
import { predictMargin, treeShap, type GbdtModel, type Tree } from '../lib/ml/model.js';
import { syntheticDeviceDays } from '../lib/ml/synthetic.js';
import { compileShap } from '../lib/serving/shap.js';
import { trainSyntheticModel } from '../lib/serving/syntheticModel.js';

function expectSameExplanations(model: GbdtModel, x: ArrayLike<number>, rows: number): void {
  const compiled = compileShap(model);
  expect(compiled).toBeDefined();
  const width = model.featureNames.length;
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    const reference = treeShap(model, x, r * width);
    const fast = compiled!.explain(x, r * width);
    worst = Math.max(worst, Math.abs(reference.expectedValue - fast.expectedValue), Math.abs(reference.margin - fast.margin));
    for (let f = 0; f < width; f++) worst = Math.max(worst, Math.abs((reference.contributions[f] as number) - (fast.contributions[f] as number)));
    const sum = fast.contributions.reduce((a, b) => a + b, fast.expectedValue);
    expect(sum).toBeCloseTo(predictMargin(model, x, r * width), 9);
  }
  expect(worst).toBeLessThan(1e-12);
}

const tree = (t: Partial<Record<keyof Tree, number[]>>): Tree => ({
  feature: Int32Array.from(t.feature!),
  threshold: Float64Array.from(t.threshold!),
  left: Int32Array.from(t.left!),
  right: Int32Array.from(t.right!),
  value: Float64Array.from(t.value!),
  cover: Float64Array.from(t.cover!),
});

describe('precomputed TreeSHAP', () => {
  it('equals lib/ml treeShap on thousands of rows of trained, calibrated models', () => {
    const rows = syntheticDeviceDays({ devices: 500, days: 6, seed: 21 }).dataset;
    for (const params of [{}, { maxDepth: 6, maxLeaves: 40, maxTrees: 60, earlyStoppingRounds: 0 }, { maxDepth: 2, maxTrees: 30, earlyStoppingRounds: 0 }]) {
      const { model } = trainSyntheticModel({ devices: 150, seed: 5, params });
      expect(model.calibration).not.toBeNull();
      expectSameExplanations(model, rows.x, 3000);
    }
  });

  it('handles a feature split twice on one path, single-leaf trees, zero leaves and rows on thresholds', () => {
    const model: GbdtModel = {
      featureNames: ['a', 'b', 'c'],
      baseScore: -1.5,
      calibration: { method: 'platt', a: 0.8, b: 0.1 },
      trees: [
        // a <= 0.5 ? (b <= 2 ? (a <= 0.25 ? 1 : -2) : 0) : (c <= 1 ? 3 : (a <= 0.75 ? -1 : 0.5))
        tree({
          feature: [0, 1, 0, -1, -1, -1, 2, -1, 0, -1, -1],
          threshold: [0.5, 2, 0.25, 0, 0, 0, 1, 0, 0.75, 0, 0],
          left: [1, 2, 3, -1, -1, -1, 7, -1, 9, -1, -1],
          right: [6, 5, 4, -1, -1, -1, 8, -1, 10, -1, -1],
          value: [0, 0, 0, 1, -2, 0, 0, 3, 0, -1, 0.5],
          cover: [100, 60, 40, 25, 15, 20, 40, 10, 30, 12, 18],
        }),
        tree({ feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0.3], cover: [100] }),
      ],
    };
    const values = [0, 0.25, 0.3, 0.5, 0.6, 0.75, 0.9, 1, 2, 3];
    const x: number[] = [];
    for (const a of values) for (const b of values) for (const c of values) x.push(a, b * 2, c);
    expectSameExplanations(model, x, x.length / 3);
  });

  it('declines models whose tables would exceed the memory cap', () => {
    const { model } = trainSyntheticModel({ devices: 100, seed: 2 });
    expect(compileShap(model, 10)).toBeUndefined();
    expect(compileShap(model)!.tableEntries).toBeGreaterThan(10);
  });
});
