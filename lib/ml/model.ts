/**
 * The trained model: a binary gradient-boosted tree ensemble on the log-odds ("margin") scale,
 * with an optional Platt calibration on top. Trees are flat typed arrays (structure of arrays),
 * one entry per node, root at index 0.
 *
 * Float32 semantics: the ONNX model takes a float32 tensor, so this model treats every input
 * value as float32 too. Each value is rounded with `Math.fround` before it is compared, and every
 * threshold is itself a float32 value, so `fround(x) <= threshold` here and `x <= threshold` in
 * onnxruntime take the same branch for every input.
 *
 * Scales:
 *  - raw margin:        baseScore + sum of leaf values (what boosting fits);
 *  - margin:            calibrated log-odds, a * raw + b with Platt's (a, b), or the raw margin
 *                       when the model is not calibrated;
 *  - probability:       sigmoid(margin). This is what the ONNX model outputs.
 */

export interface Tree {
  /** Split feature of each node; -1 marks a leaf. */
  readonly feature: Int32Array;
  /** Split threshold (a float32 value): a row goes left when fround(x[feature]) <= threshold. */
  readonly threshold: Float64Array;
  /** Children of internal nodes (-1 on leaves). */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Leaf value on the raw-margin scale, learning rate included; 0 on internal nodes. */
  readonly value: Float64Array;
  /** Training rows that reached the node (TreeSHAP's cover); a parent's cover is its children's sum. */
  readonly cover: Float64Array;
}

/** Platt scaling: calibrated probability = sigmoid(a * rawMargin + b). */
export interface PlattCalibration {
  readonly method: 'platt';
  readonly a: number;
  readonly b: number;
}

export interface GbdtModel {
  /** Input columns, in order: row i of an input matrix is x[i * nFeatures + f]. */
  readonly featureNames: readonly string[];
  /** Initial raw margin (log-odds of the weighted positive rate of the training set). */
  readonly baseScore: number;
  readonly trees: readonly Tree[];
  readonly calibration: PlattCalibration | null;
}

export const MODEL_FORMAT = 'lims-mlops/gbdt-binary@1';

/** Numerically stable logistic function. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(p / (1 - p)). */
export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** Index of the leaf a row reaches (values read from `row[offset + feature]`, as float32). */
export function leafIndex(tree: Tree, row: ArrayLike<number>, offset = 0): number {
  const { feature, threshold, left, right } = tree;
  let node = 0;
  let f = feature[0] ?? -1;
  while (f >= 0) {
    node = Math.fround(row[offset + f] as number) <= (threshold[node] as number) ? (left[node] as number) : (right[node] as number);
    f = feature[node] as number;
  }
  return node;
}

/** Raw (uncalibrated) margin: sum of the trees' leaf values plus the base score. */
export function predictRawMargin(model: GbdtModel, row: ArrayLike<number>, offset = 0): number {
  let sum = 0;
  for (const tree of model.trees) sum += tree.value[leafIndex(tree, row, offset)] as number;
  return sum + model.baseScore;
}

/** Calibrated log-odds (the raw margin when the model has no calibration). */
export function predictMargin(model: GbdtModel, row: ArrayLike<number>, offset = 0): number {
  const raw = predictRawMargin(model, row, offset);
  return model.calibration ? model.calibration.a * raw + model.calibration.b : raw;
}

/** Probability of the positive class (failure within 7 days), calibrated when the model is. */
export function predictProbability(model: GbdtModel, row: ArrayLike<number>, offset = 0): number {
  return sigmoid(predictMargin(model, row, offset));
}

/** Probabilities of `nRows` rows of a row-major matrix. */
export function predictProbabilities(model: GbdtModel, x: ArrayLike<number>, nRows = x.length / model.featureNames.length): Float64Array {
  const nFeatures = model.featureNames.length;
  if (!Number.isInteger(nRows) || nRows * nFeatures > x.length) {
    throw new Error(`predictProbabilities: ${x.length} values do not hold ${nRows} rows of ${nFeatures} features`);
  }
  const out = new Float64Array(nRows);
  for (let i = 0; i < nRows; i++) out[i] = predictProbability(model, x, i * nFeatures);
  return out;
}

/** Raw margins of `nRows` rows of a row-major matrix. */
export function predictRawMargins(model: GbdtModel, x: ArrayLike<number>, nRows = x.length / model.featureNames.length): Float64Array {
  const nFeatures = model.featureNames.length;
  const out = new Float64Array(nRows);
  for (let i = 0; i < nRows; i++) out[i] = predictRawMargin(model, x, i * nFeatures);
  return out;
}

/**
 * The same model with its calibration folded into the trees: every leaf value is multiplied by
 * a and the base score becomes a * baseScore + b, so that the raw margin of the result is the
 * calibrated margin of the input (a * (base + sum leaves) + b = (a * base + b) + sum (a * leaf)).
 * This is how calibration travels inside the ONNX tree-ensemble operator.
 */
export function foldCalibration(model: GbdtModel): GbdtModel {
  const cal = model.calibration;
  if (!cal) return model;
  return {
    featureNames: model.featureNames,
    baseScore: cal.a * model.baseScore + cal.b,
    trees: model.trees.map((t) => ({ ...t, value: t.value.map((v) => cal.a * v) })),
    calibration: null,
  };
}

/** Number of nodes on the longest root-to-leaf path (a single leaf has depth 0). */
export function treeDepth(tree: Tree): number {
  const depth = (node: number): number => ((tree.feature[node] as number) < 0 ? 0 : 1 + Math.max(depth(tree.left[node] as number), depth(tree.right[node] as number)));
  return depth(0);
}

// ---------------------------------------------------------------------------------------------
// TreeSHAP
// ---------------------------------------------------------------------------------------------

export interface ShapExplanation {
  /** E[f(x)] over the training data, on the calibrated log-odds scale. */
  readonly expectedValue: number;
  /** Signed contribution of each feature (same order as featureNames), log-odds scale. */
  readonly contributions: Float64Array;
  /** The row's calibrated margin: expectedValue + sum(contributions), up to rounding. */
  readonly margin: number;
}

/** Expected raw value of one tree over its training cover. */
export function treeExpectedValue(tree: Tree): number {
  const root = tree.cover[0] as number;
  if (!(root > 0)) return 0;
  let sum = 0;
  for (let i = 0; i < tree.feature.length; i++) {
    if ((tree.feature[i] as number) < 0) sum += ((tree.cover[i] as number) / root) * (tree.value[i] as number);
  }
  return sum;
}

/** Per-model TreeSHAP setup, computed once: depth bound, expected value, working memory. */
interface ShapPlan {
  readonly rawExpected: number;
  readonly work: ShapWork;
}
const shapPlans = new WeakMap<GbdtModel, ShapPlan>();

function shapPlan(model: GbdtModel): ShapPlan {
  let plan = shapPlans.get(model);
  if (!plan) {
    let maxDepth = 0;
    let expected = model.baseScore;
    for (const tree of model.trees) {
      maxDepth = Math.max(maxDepth, treeDepth(tree));
      expected += treeExpectedValue(tree);
    }
    plan = { rawExpected: expected, work: new ShapWork(maxDepth) };
    shapPlans.set(model, plan);
  }
  return plan;
}

/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2): the Shapley values of the features for the
 * model's margin, where a missing feature is integrated out by following both children weighted
 * by their training cover. Contributions are on the calibrated log-odds scale (the raw values
 * multiplied by Platt's a), so expectedValue + sum(contributions) equals predictMargin.
 *
 * Cost per tree O(leaves * depth^2). The per-model setup (depth bound, expected value, working
 * memory) is cached by model object, so treat a model as immutable once explained.
 */
export function treeShap(model: GbdtModel, row: ArrayLike<number>, offset = 0): ShapExplanation {
  const nFeatures = model.featureNames.length;
  const phi = new Float64Array(nFeatures);
  const plan = shapPlan(model);
  for (const tree of model.trees) {
    if ((tree.feature[0] as number) >= 0) plan.work.run(tree, row, offset, phi);
  }
  const a = model.calibration ? model.calibration.a : 1;
  const b = model.calibration ? model.calibration.b : 0;
  if (a !== 1) for (let f = 0; f < nFeatures; f++) phi[f] = (phi[f] as number) * a;
  return { expectedValue: a * plan.rawExpected + b, contributions: phi, margin: predictMargin(model, row, offset) };
}

/**
 * The "unique path" of Algorithm 2 (feature, zero fraction, one fraction, permutation weight),
 * one slice per recursion level, in flat typed arrays. The ratios (i+1)/(d+1), (d-i)/(d+1) and
 * their inverses that EXTEND / UNWIND / UNWOUND-SUM use are tabulated once per depth.
 */
class ShapWork {
  private readonly feature: Int32Array;
  private readonly zero: Float64Array;
  private readonly one: Float64Array;
  private readonly weight: Float64Array;
  private readonly stride: number;
  /** (i+1)/(d+1) */
  private readonly up: Float64Array;
  /** (d-i)/(d+1) */
  private readonly down: Float64Array;
  /** (d+1)/(i+1) */
  private readonly upInv: Float64Array;
  /** (d+1)/(d-i) */
  private readonly downInv: Float64Array;
  private tree!: Tree;
  private row!: ArrayLike<number>;
  private offset = 0;
  private phi!: Float64Array;

  constructor(maxDepth: number) {
    // Level d holds a path of at most d + 1 elements, so levels 0..maxDepth+1 need a triangle.
    const size = ((maxDepth + 2) * (maxDepth + 3)) / 2;
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
    const stride = maxDepth + 2;
    this.stride = stride;
    this.up = new Float64Array(stride * stride);
    this.down = new Float64Array(stride * stride);
    this.upInv = new Float64Array(stride * stride);
    this.downInv = new Float64Array(stride * stride);
    for (let d = 0; d < stride; d++) {
      for (let i = 0; i < d; i++) {
        this.up[d * stride + i] = (i + 1) / (d + 1);
        this.down[d * stride + i] = (d - i) / (d + 1);
        this.upInv[d * stride + i] = (d + 1) / (i + 1);
        this.downInv[d * stride + i] = (d + 1) / (d - i);
      }
    }
  }

  run(tree: Tree, row: ArrayLike<number>, offset: number, phi: Float64Array): void {
    this.tree = tree;
    this.row = row;
    this.offset = offset;
    this.phi = phi;
    this.recurse(0, 0, 0, 0, 1, 1, -1);
  }

  /**
   * @param node tree node
   * @param depth unique path length before extending (number of elements already on it)
   * @param parentStart where the parent's path slice starts
   * @param start where this level's slice starts (copied from the parent's)
   */
  private recurse(node: number, depth: number, parentStart: number, start: number, zeroFraction: number, oneFraction: number, featureIndex: number): void {
    const { feature, zero, one, weight } = this;
    if (start !== parentStart) {
      for (let i = 0; i < depth; i++) {
        feature[start + i] = feature[parentStart + i] as number;
        zero[start + i] = zero[parentStart + i] as number;
        one[start + i] = one[parentStart + i] as number;
        weight[start + i] = weight[parentStart + i] as number;
      }
    }
    this.extend(start, depth, zeroFraction, oneFraction, featureIndex);
    const tree = this.tree;
    const split = tree.feature[node] as number;
    if (split < 0) {
      const value = tree.value[node] as number;
      const phi = this.phi;
      for (let i = 1; i <= depth; i++) {
        const w = this.unwoundSum(start, depth, i);
        const f = feature[start + i] as number;
        phi[f] = (phi[f] as number) + w * ((one[start + i] as number) - (zero[start + i] as number)) * value;
      }
      return;
    }
    const goesLeft = Math.fround(this.row[this.offset + split] as number) <= (tree.threshold[node] as number);
    const hot = goesLeft ? (tree.left[node] as number) : (tree.right[node] as number);
    const cold = goesLeft ? (tree.right[node] as number) : (tree.left[node] as number);
    const cover = tree.cover[node] as number;
    const hotZero = cover > 0 ? (tree.cover[hot] as number) / cover : 0;
    const coldZero = cover > 0 ? (tree.cover[cold] as number) / cover : 0;
    let incomingZero = 1;
    let incomingOne = 1;
    let length = depth;
    // A feature already on the path is unwound so that it can be redone at this node.
    let k = 1;
    while (k <= length && feature[start + k] !== split) k++;
    if (k <= length) {
      incomingZero = zero[start + k] as number;
      incomingOne = one[start + k] as number;
      this.unwind(start, length, k);
      length -= 1;
    }
    const childStart = start + depth + 1;
    this.recurse(hot, length + 1, start, childStart, hotZero * incomingZero, incomingOne, split);
    this.recurse(cold, length + 1, start, childStart, coldZero * incomingZero, 0, split);
  }

  /** EXTEND: add (zeroFraction, oneFraction, featureIndex) as element `depth` of the path at `start`. */
  private extend(start: number, depth: number, zeroFraction: number, oneFraction: number, featureIndex: number): void {
    const { feature, zero, one, weight, up, down } = this;
    const t = depth * this.stride;
    feature[start + depth] = featureIndex;
    zero[start + depth] = zeroFraction;
    one[start + depth] = oneFraction;
    weight[start + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      const w = weight[start + i] as number;
      weight[start + i + 1] = (weight[start + i + 1] as number) + oneFraction * w * (up[t + i] as number);
      weight[start + i] = zeroFraction * w * (down[t + i] as number);
    }
  }

  /** UNWIND: remove element `index` from the path of length depth + 1 at `start`. */
  private unwind(start: number, depth: number, index: number): void {
    const { feature, zero, one, weight, down, upInv, downInv } = this;
    const t = depth * this.stride;
    const oneFraction = one[start + index] as number;
    const zeroFraction = zero[start + index] as number;
    let next = weight[start + depth] as number;
    if (oneFraction !== 0) {
      const invOne = 1 / oneFraction;
      for (let i = depth - 1; i >= 0; i--) {
        const tmp = weight[start + i] as number;
        const w = next * (upInv[t + i] as number) * invOne;
        weight[start + i] = w;
        next = tmp - w * zeroFraction * (down[t + i] as number);
      }
    } else {
      const invZero = 1 / zeroFraction;
      for (let i = depth - 1; i >= 0; i--) weight[start + i] = (weight[start + i] as number) * (downInv[t + i] as number) * invZero;
    }
    for (let i = index; i < depth; i++) {
      feature[start + i] = feature[start + i + 1] as number;
      zero[start + i] = zero[start + i + 1] as number;
      one[start + i] = one[start + i + 1] as number;
    }
  }

  /** Sum of the path weights after unwinding element `index`, without modifying the path. */
  private unwoundSum(start: number, depth: number, index: number): number {
    const { zero, one, weight, down, upInv, downInv } = this;
    const t = depth * this.stride;
    const oneFraction = one[start + index] as number;
    const zeroFraction = zero[start + index] as number;
    let total = 0;
    if (oneFraction !== 0) {
      const invOne = 1 / oneFraction;
      let next = weight[start + depth] as number;
      for (let i = depth - 1; i >= 0; i--) {
        const tmp = next * (upInv[t + i] as number) * invOne;
        total += tmp;
        next = (weight[start + i] as number) - tmp * zeroFraction * (down[t + i] as number);
      }
    } else {
      const invZero = 1 / zeroFraction;
      for (let i = depth - 1; i >= 0; i--) total += (weight[start + i] as number) * (downInv[t + i] as number);
      total *= invZero;
    }
    return total;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

interface TreeJson {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
  cover: number[];
}

export interface GbdtModelJson {
  format: typeof MODEL_FORMAT;
  featureNames: string[];
  baseScore: number;
  calibration: PlattCalibration | null;
  trees: TreeJson[];
}

/** Plain-JSON form of the model; numbers survive JSON.stringify/parse exactly. */
export function modelToJson(model: GbdtModel): GbdtModelJson {
  return {
    format: MODEL_FORMAT,
    featureNames: [...model.featureNames],
    baseScore: model.baseScore,
    calibration: model.calibration ? { method: 'platt', a: model.calibration.a, b: model.calibration.b } : null,
    trees: model.trees.map((t) => ({
      feature: Array.from(t.feature),
      threshold: Array.from(t.threshold),
      left: Array.from(t.left),
      right: Array.from(t.right),
      value: Array.from(t.value),
      cover: Array.from(t.cover),
    })),
  };
}

export function serializeModel(model: GbdtModel): string {
  return JSON.stringify(modelToJson(model));
}

function fail(message: string): never {
  throw new Error(`invalid model JSON: ${message}`);
}

function numberArray(value: unknown, where: string, length?: number): number[] {
  if (!Array.isArray(value)) fail(`${where} must be an array`);
  if (length !== undefined && value.length !== length) fail(`${where} has ${value.length} entries, expected ${length}`);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'number' || !Number.isFinite(value[i])) fail(`${where}[${i}] must be a finite number`);
  }
  return value as number[];
}

function finite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${where} must be a finite number`);
  return value;
}

function treeFromJson(value: unknown, t: number, nFeatures: number): Tree {
  if (typeof value !== 'object' || value === null) fail(`trees[${t}] must be an object`);
  const v = value as Record<string, unknown>;
  const feature = numberArray(v.feature, `trees[${t}].feature`);
  const n = feature.length;
  if (n === 0) fail(`trees[${t}] has no nodes`);
  const tree: Tree = {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(numberArray(v.threshold, `trees[${t}].threshold`, n)),
    left: Int32Array.from(numberArray(v.left, `trees[${t}].left`, n)),
    right: Int32Array.from(numberArray(v.right, `trees[${t}].right`, n)),
    value: Float64Array.from(numberArray(v.value, `trees[${t}].value`, n)),
    cover: Float64Array.from(numberArray(v.cover, `trees[${t}].cover`, n)),
  };
  // Node ids are arbitrary: walk from the root to check that every node is reached exactly once.
  const seen = new Uint8Array(n);
  const stack = [0];
  while (stack.length > 0) {
    const node = stack.pop() as number;
    if (seen[node]) fail(`trees[${t}] node ${node} is reached twice`);
    seen[node] = 1;
    const f = tree.feature[node] as number;
    if (f === -1) continue;
    if (!Number.isInteger(feature[node]) || f < 0 || f >= nFeatures) fail(`trees[${t}].feature[${node}] = ${feature[node]} is not a feature index`);
    const threshold = tree.threshold[node] as number;
    if (Math.fround(threshold) !== threshold) fail(`trees[${t}].threshold[${node}] = ${threshold} is not a float32 value`);
    for (const child of [tree.left[node] as number, tree.right[node] as number]) {
      if (child <= 0 || child >= n) fail(`trees[${t}] node ${node} has child ${child} out of range`);
      stack.push(child);
    }
  }
  if (seen.some((s) => s === 0)) fail(`trees[${t}] has unreachable nodes`);
  return tree;
}

/** Parses and validates a model from its JSON text or parsed object. */
export function parseModel(input: string | unknown): GbdtModel {
  const value: unknown = typeof input === 'string' ? JSON.parse(input) : input;
  if (typeof value !== 'object' || value === null) fail('expected an object');
  const v = value as Record<string, unknown>;
  if (v.format !== MODEL_FORMAT) fail(`format must be "${MODEL_FORMAT}", got ${JSON.stringify(v.format)}`);
  if (!Array.isArray(v.featureNames) || v.featureNames.some((n) => typeof n !== 'string') || v.featureNames.length === 0) {
    fail('featureNames must be a non-empty array of strings');
  }
  const featureNames = v.featureNames as string[];
  let calibration: PlattCalibration | null = null;
  if (v.calibration !== null && v.calibration !== undefined) {
    const c = v.calibration as Record<string, unknown>;
    if (c.method !== 'platt') fail('calibration.method must be "platt"');
    calibration = { method: 'platt', a: finite(c.a, 'calibration.a'), b: finite(c.b, 'calibration.b') };
  }
  if (!Array.isArray(v.trees)) fail('trees must be an array');
  return {
    featureNames,
    baseScore: finite(v.baseScore, 'baseScore'),
    calibration,
    trees: v.trees.map((t, i) => treeFromJson(t, i, featureNames.length)),
  };
}
