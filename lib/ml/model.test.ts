import { describe, expect, test } from 'vitest';
import { Rng } from '../simulate/random.js';
import { calibrateModel } from './calibration.js';
import { subsetDataset } from './dataset.js';
import { trainGbdt } from './gbdt.js';
import type { GbdtModel, Tree } from './model.js';
import { foldCalibration, parseModel, predictMargin, predictProbability, predictRawMargin, serializeModel, sigmoid, treeShap } from './model.js';
import { syntheticDeviceDays } from './synthetic.js';

/** A tree from nested [feature, threshold, left, right] / leaf-value literals, with covers. */
type Literal = number | { f: number; t: number; cover: number; l: Literal; r: Literal; leafCover?: never };
function buildTree(root: Literal, leafCovers: number[]): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  let leafNo = 0;
  const add = (node: Literal): number => {
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(0);
    cover.push(0);
    if (typeof node === 'number') {
      value[id] = node;
      cover[id] = leafCovers[leafNo++] as number;
    } else {
      feature[id] = node.f;
      threshold[id] = Math.fround(node.t);
      const l = add(node.l);
      const r = add(node.r);
      left[id] = l;
      right[id] = r;
      cover[id] = (cover[l] as number) + (cover[r] as number);
    }
    return id;
  };
  add(root);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    cover: Float64Array.from(cover),
  };
}

/** E[tree(x) | x_S] with the path-dependent (cover-weighted) rule: Algorithm 1 of Lundberg et al. */
function conditionalExpectation(tree: Tree, x: ArrayLike<number>, inS: (f: number) => boolean, node = 0): number {
  const f = tree.feature[node] as number;
  if (f < 0) return tree.value[node] as number;
  const l = tree.left[node] as number;
  const r = tree.right[node] as number;
  if (inS(f)) return conditionalExpectation(tree, x, inS, Math.fround(x[f] as number) <= (tree.threshold[node] as number) ? l : r);
  const c = tree.cover[node] as number;
  return (((tree.cover[l] as number) / c) * conditionalExpectation(tree, x, inS, l) + ((tree.cover[r] as number) / c) * conditionalExpectation(tree, x, inS, r));
}

/** Exact Shapley values by enumerating all feature subsets. */
function bruteForceShapley(model: GbdtModel, x: ArrayLike<number>): Float64Array {
  const m = model.featureNames.length;
  const v = (mask: number): number => model.trees.reduce((s, t) => s + conditionalExpectation(t, x, (f) => ((mask >> f) & 1) === 1), model.baseScore);
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
  const phi = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let mask = 0; mask < 1 << m; mask++) {
      if ((mask >> i) & 1) continue;
      let size = 0;
      for (let f = 0; f < m; f++) size += (mask >> f) & 1;
      const weight = (factorial(size) * factorial(m - size - 1)) / factorial(m);
      phi[i] = (phi[i] as number) + weight * (v(mask | (1 << i)) - v(mask));
    }
  }
  return phi;
}

const tinyModel: GbdtModel = {
  featureNames: ['x0', 'x1', 'x2'],
  baseScore: -0.7,
  calibration: null,
  trees: [
    // Feature 0 is split twice on one path (exercises UNWIND).
    buildTree({ f: 0, t: 0.5, cover: 0, l: { f: 1, t: 0.3, cover: 0, l: 1.5, r: { f: 0, t: 0.2, cover: 0, l: -0.4, r: 0.9 } }, r: { f: 2, t: 0.6, cover: 0, l: -1.1, r: 0.25 } }, [30, 12, 18, 25, 15]),
    buildTree({ f: 2, t: 0.4, cover: 0, l: { f: 2, t: 0.1, cover: 0, l: 0.3, r: -0.2 }, r: { f: 1, t: 0.7, cover: 0, l: { f: 0, t: 0.9, cover: 0, l: 0.05, r: 0.6 }, r: -0.8 } }, [7, 21, 40, 3, 29]),
    buildTree(0.12, [100]),
  ],
};

describe('TreeSHAP', () => {
  test('matches brute-force Shapley values on a 3-feature model (exact enumeration)', () => {
    const rng = new Rng(5);
    const points = [
      [0.1, 0.2, 0.3],
      [0.5, 0.3, 0.6],
      [0.15, 0.9, 0.05],
      [0.95, 0.75, 0.45],
      ...Array.from({ length: 40 }, () => [rng.next(), rng.next(), rng.next()]),
    ];
    for (const x of points) {
      const shap = treeShap(tinyModel, x);
      const exact = bruteForceShapley(tinyModel, x);
      for (let f = 0; f < 3; f++) expect(shap.contributions[f]).toBeCloseTo(exact[f] as number, 12);
      const sum = shap.contributions.reduce((s, c) => s + c, shap.expectedValue);
      expect(sum).toBeCloseTo(predictRawMargin(tinyModel, x), 12);
      expect(shap.expectedValue).toBeCloseTo(bruteForceShapleyBase(tinyModel), 12);
    }
  });

  test('contributions + expected value = calibrated margin, on a trained calibrated model', () => {
    const data = syntheticDeviceDays({ devices: 300, days: 40, seed: 11 });
    const half = data.dataset.nRows / 2;
    const train = subsetDataset(data.dataset, Uint32Array.from({ length: half }, (_, i) => i));
    const validation = subsetDataset(data.dataset, Uint32Array.from({ length: half }, (_, i) => half + i));
    const trained = trainGbdt(train, { params: { maxTrees: 40, maxDepth: 5, earlyStoppingRounds: 0, classWeight: 'balanced' } });
    const model = calibrateModel(trained.model, validation);
    expect(model.calibration?.a).not.toBe(1);
    for (let i = 0; i < 500; i++) {
      const row = validation.x.subarray(i * 10, i * 10 + 10);
      const shap = treeShap(model, row);
      const sum = shap.contributions.reduce((s, c) => s + c, shap.expectedValue);
      expect(Math.abs(sum - predictMargin(model, row))).toBeLessThan(1e-9);
      expect(shap.margin).toBe(predictMargin(model, row));
    }
    // Folding the calibration into the trees gives the same explanation.
    const folded = foldCalibration(model);
    const row = validation.x.subarray(0, 10);
    const a = treeShap(model, row);
    const b = treeShap(folded, row);
    for (let f = 0; f < 10; f++) expect(b.contributions[f]).toBeCloseTo(a.contributions[f] as number, 10);
    expect(b.expectedValue).toBeCloseTo(a.expectedValue, 10);
  });
});

function bruteForceShapleyBase(model: GbdtModel): number {
  return model.trees.reduce((s, t) => s + conditionalExpectation(t, [], () => false), model.baseScore);
}

describe('model', () => {
  test('predictions treat inputs as float32 and compare with <=', () => {
    const model: GbdtModel = { featureNames: ['x'], baseScore: 0, calibration: null, trees: [buildTree({ f: 0, t: 0.1, cover: 0, l: -1, r: 1 }, [1, 1])] };
    const t = Math.fround(0.1);
    expect(predictRawMargin(model, [t])).toBe(-1);
    expect(predictRawMargin(model, [0.1])).toBe(-1); // rounds to the threshold
    expect(predictRawMargin(model, [t + 1e-9])).toBe(-1); // still rounds to t in float32
    expect(predictRawMargin(model, [t * (1 + 2 ** -22)])).toBe(1);
  });

  test('calibration: probability = sigmoid(a * raw + b); folding keeps predictions', () => {
    const model: GbdtModel = { ...tinyModel, calibration: { method: 'platt', a: 0.8, b: -1.3 } };
    const folded = foldCalibration(model);
    expect(folded.calibration).toBeNull();
    for (const x of [
      [0.1, 0.2, 0.3],
      [0.7, 0.8, 0.9],
    ]) {
      expect(predictProbability(model, x)).toBeCloseTo(sigmoid(0.8 * predictRawMargin(tinyModel, x) - 1.3), 14);
      expect(predictProbability(folded, x)).toBeCloseTo(predictProbability(model, x), 14);
    }
  });

  test('JSON round trip keeps every number', () => {
    const model: GbdtModel = { ...tinyModel, calibration: { method: 'platt', a: 0.8123456789, b: -1.3 } };
    const text = serializeModel(model);
    const back = parseModel(text);
    expect(serializeModel(back)).toBe(text);
    expect(predictProbability(back, [0.3, 0.2, 0.9])).toBe(predictProbability(model, [0.3, 0.2, 0.9]));
  });

  test('parseModel names what is wrong', () => {
    const good = JSON.parse(serializeModel(tinyModel)) as { trees: { left: number[]; threshold: number[] }[]; format: string };
    expect(() => parseModel({ ...good, format: 'x' })).toThrow(/format/);
    const badChild = structuredClone(good);
    badChild.trees[0]!.left[0] = 99;
    expect(() => parseModel(badChild)).toThrow(/trees\[0\] node 0 has child 99/);
    const cycle = structuredClone(good);
    cycle.trees[0]!.left[0] = 2;
    expect(() => parseModel(cycle)).toThrow(/reached twice|unreachable/);
    const notFloat32 = structuredClone(good);
    notFloat32.trees[0]!.threshold[0] = 0.1;
    expect(() => parseModel(notFloat32)).toThrow(/not a float32 value/);
  });
});
