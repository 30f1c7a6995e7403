import { describe, expect, test } from 'vitest';
import { Rng } from '../simulate/random.js';
import { calibrateModel } from './calibration.js';
import type { Dataset } from './dataset.js';
import { binOf, fitBins, trainGbdt } from './gbdt.js';
import { rocAuc, thresholdMetrics } from './metrics.js';
import { leafIndex, predictProbabilities, predictRawMargins, serializeModel, treeDepth } from './model.js';

const NAMES = ['a', 'b', 'c', 'd', 'e'];

/** Uniform features; the label follows `rule` with probability 1 - noise. */
function ruleData(n: number, seed: number, rule: (x: Float64Array, o: number) => boolean, noise = 0.02): Dataset {
  const rng = new Rng(seed);
  const x = new Float64Array(n * NAMES.length);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < NAMES.length; f++) x[i * NAMES.length + f] = rng.next();
    let label = rule(x, i * NAMES.length) ? 1 : 0;
    if (rng.chance(noise)) label = 1 - label;
    y[i] = label;
  }
  return { featureNames: NAMES, nRows: n, x, y };
}

const knownRule = (x: Float64Array, o: number): boolean => (x[o] as number) + (x[o + 1] as number) > 1 || ((x[o + 2] as number) > 0.8 && (x[o + 3] as number) < 0.3);
const noRule = (): boolean => false;

describe('trainGbdt', () => {
  test('finds a known rule: holdout ROC-AUC > 0.95', () => {
    const train = ruleData(20_000, 1, knownRule);
    const validation = ruleData(5_000, 2, knownRule);
    const holdout = ruleData(5_000, 3, knownRule);
    const result = trainGbdt(train, { validation, params: { maxTrees: 200 } });
    const auc = rocAuc(holdout.y, predictProbabilities(result.model, holdout.x, holdout.nRows));
    expect(auc).toBeGreaterThan(0.95);
    // The informative features carry the gain; e (index 4) is pure noise.
    expect(result.featureGain[0]).toBeGreaterThan(10 * (result.featureGain[4] as number));
    expect(result.featureGain[1]).toBeGreaterThan(10 * (result.featureGain[4] as number));
  });

  test('noise labels: holdout ROC-AUC ~0.5 and early stopping stops', () => {
    const noise = (seed: number): Dataset => {
      const d = ruleData(10_000, seed, noRule, 0);
      const rng = new Rng(seed, 9);
      const y = Uint8Array.from(d.y, () => (rng.chance(0.3) ? 1 : 0));
      return { ...d, y };
    };
    const train = noise(11);
    const validation = noise(12);
    const holdout = noise(13);
    const result = trainGbdt(train, { validation, params: { maxTrees: 300, earlyStoppingRounds: 10 } });
    expect(result.stoppedEarly).toBe(true);
    expect(result.treesGrown).toBeLessThan(300);
    expect(result.treesGrown - result.bestIteration).toBe(10);
    expect(result.model.trees).toHaveLength(result.bestIteration);
    // The kept prefix is the best validation loss seen.
    const best = Math.min(...result.validationLoss);
    expect(result.validationLoss[result.bestIteration]).toBe(best);
    const auc = rocAuc(holdout.y, predictProbabilities(result.model, holdout.x, holdout.nRows));
    expect(auc).toBeGreaterThan(0.45);
    expect(auc).toBeLessThan(0.55);
  });

  test('class weighting raises recall on imbalanced data', () => {
    // ~3% positives, weakly separable.
    const rare = (seed: number): Dataset => {
      const rng = new Rng(seed, 5);
      const d = ruleData(20_000, seed, noRule, 0);
      const y = new Uint8Array(d.nRows);
      for (let i = 0; i < d.nRows; i++) {
        const s = (d.x[i * 5] as number) * 2 + (d.x[i * 5 + 1] as number);
        y[i] = rng.chance(0.005 + 0.12 * s * s * s / 27) ? 1 : 0;
      }
      return { ...d, y };
    };
    const train = rare(21);
    const holdout = rare(22);
    const params = { maxTrees: 60, earlyStoppingRounds: 0 };
    const plain = trainGbdt(train, { params });
    const balanced = trainGbdt(train, { params: { ...params, classWeight: 'balanced' } });
    const scaled = trainGbdt(train, { params: { ...params, classWeight: { scalePosWeight: 10 } } });
    const recallAt = (p: Float64Array): number => thresholdMetrics(holdout.y, p, 0.5).recall;
    const rPlain = recallAt(predictProbabilities(plain.model, holdout.x, holdout.nRows));
    const rBalanced = recallAt(predictProbabilities(balanced.model, holdout.x, holdout.nRows));
    const rScaled = recallAt(predictProbabilities(scaled.model, holdout.x, holdout.nRows));
    expect(balanced.classWeights.positive).toBeGreaterThan(10);
    expect(rBalanced).toBeGreaterThan(rPlain + 0.3);
    expect(rScaled).toBeGreaterThan(rPlain);
    // Platt calibration on a validation split moves the weighted model back to true rates.
    const validation = rare(23);
    const calibrated = calibrateModel(balanced.model, validation);
    const meanP = predictProbabilities(calibrated, holdout.x, holdout.nRows).reduce((s, p) => s + p, 0) / holdout.nRows;
    const rate = holdout.y.reduce((s, v) => s + v, 0) / holdout.nRows;
    expect(Math.abs(meanP - rate)).toBeLessThan(0.01);
  });

  test('respects maxDepth, maxLeaves and minSamplesLeaf; deterministic', () => {
    const train = ruleData(8_000, 31, knownRule);
    const params = { maxTrees: 15, maxDepth: 3, maxLeaves: 6, minSamplesLeaf: 150, earlyStoppingRounds: 0 };
    const a = trainGbdt(train, { params });
    for (const tree of a.model.trees) {
      expect(treeDepth(tree)).toBeLessThanOrEqual(3);
      let leaves = 0;
      for (let i = 0; i < tree.feature.length; i++) {
        if ((tree.feature[i] as number) < 0) {
          leaves++;
          expect(tree.cover[i]).toBeGreaterThanOrEqual(150);
        } else {
          expect(tree.cover[i]).toBe((tree.cover[tree.left[i] as number] as number) + (tree.cover[tree.right[i] as number] as number));
        }
      }
      expect(leaves).toBeLessThanOrEqual(6);
    }
    const b = trainGbdt(train, { params });
    expect(serializeModel(b.model)).toBe(serializeModel(a.model));
  });

  test('depth-wise equivalent: maxLeaves = 2^maxDepth grows full levels when splits exist', () => {
    const train = ruleData(20_000, 41, knownRule, 0.1);
    const result = trainGbdt(train, { params: { maxTrees: 3, maxDepth: 2, maxLeaves: 4, minSamplesLeaf: 1, earlyStoppingRounds: 0 } });
    for (const tree of result.model.trees) expect(tree.feature.length).toBe(7);
  });

  test('training margins equal the exported trees on the float32 inputs', () => {
    const train = ruleData(5_000, 51, knownRule);
    const validation = ruleData(2_000, 52, knownRule);
    const result = trainGbdt(train, { validation, params: { maxTrees: 40, earlyStoppingRounds: 5 } });
    // Every threshold is a float32 value; fround(x) <= threshold agrees with the training bins.
    for (const tree of result.model.trees) for (const t of tree.threshold) expect(Math.fround(t)).toBe(t);
    const margins = predictRawMargins(result.model, train.x, train.nRows);
    let loss = 0;
    for (let i = 0; i < train.nRows; i++) {
      const m = margins[i] as number;
      loss += Math.log1p(Math.exp(-Math.abs(m))) + Math.max(m, 0) - (train.y[i] as number) * m;
    }
    expect(loss / train.nRows).toBeCloseTo(result.trainLoss, 12);
    const tree = result.model.trees[0];
    expect(tree && leafIndex(tree, train.x, 0)).toBeGreaterThan(0);
  });

  test('refuses NaN and single-class data with a clear message', () => {
    const data = ruleData(100, 61, knownRule);
    const x = Float64Array.from(data.x);
    x[7 * 5 + 2] = NaN;
    expect(() => trainGbdt({ ...data, x })).toThrow(/row 7, feature c: NaN/);
    expect(() => trainGbdt({ ...data, y: new Uint8Array(100) })).toThrow(/needs both classes/);
    expect(() => trainGbdt(data, { params: { learningRate: 0 } })).toThrow(/learningRate/);
  });
});

describe('fitBins', () => {
  test('few distinct values: one bin each, cuts are float32 values between neighbours', () => {
    const x = Float64Array.from([0, 1, 1, 2, 2, 2, 0.1, 0.1]);
    const bins = fitBins(x, x.length, 1, 255);
    const cuts = bins.cuts[0] as Float64Array;
    expect(cuts.length).toBe(3);
    for (const c of cuts) expect(Math.fround(c)).toBe(c);
    expect([0, 0.1, 1, 2].map((v) => binOf(cuts, v))).toEqual([0, 1, 2, 3]);
  });

  test('many distinct values: at most maxBins roughly equal-frequency bins', () => {
    const rng = new Rng(71);
    const n = 50_000;
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const bins = fitBins(x, n, 1, 64);
    const cuts = bins.cuts[0] as Float64Array;
    expect(cuts.length).toBeLessThanOrEqual(63);
    expect(cuts.length).toBeGreaterThan(55);
    const counts = new Array<number>(cuts.length + 1).fill(0);
    for (const v of x) counts[binOf(cuts, v)]! += 1;
    expect(Math.max(...counts)).toBeLessThan((3 * n) / 64);
  });

  test('a heavy tie gets a bin of its own', () => {
    const n = 10_000;
    const x = Float64Array.from({ length: n }, (_, i) => (i < 6_000 ? 0 : i / n));
    const cuts = fitBins(x, n, 1, 16).cuts[0] as Float64Array;
    expect(binOf(cuts, 0)).toBe(0);
    expect(binOf(cuts, 0.6001)).toBe(1);
  });
});
