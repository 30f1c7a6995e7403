/**
 * Histogram-based gradient-boosted decision trees for binary log-loss (the LightGBM/XGBoost-hist
 * recipe), written for speed in plain TypeScript:
 *
 * - Binning: each feature's float32 values are cut into at most `maxBins` quantile bins (every
 *   distinct value its own bin when there are few). A cut lies between two neighbouring observed
 *   values and is itself a float32 value, so "bin <= b" during training is exactly
 *   "fround(x) <= cut[b]" at prediction time, in TypeScript and in onnxruntime (float32 input).
 * - The binned matrix is row-major Uint16 "global" bin ids (feature offset + bin), so building a
 *   leaf's histogram is one pass over its rows with no per-row objects.
 * - Trees grow leaf-wise (best-first): the leaf with the largest loss reduction is split next,
 *   until `maxLeaves` leaves or `maxDepth` levels. With maxLeaves >= 2^maxDepth this grows the
 *   same tree as depth-wise growth. Each split builds the histogram of the smaller child only; the
 *   larger child's is the parent's minus it (the subtraction trick).
 * - Second-order split gain with L2 regularisation `lambda`; leaves need `minSamplesLeaf` rows
 *   and `minChildWeight` hessian; leaf value -G / (H + lambda) times the learning rate.
 * - Class imbalance: 'balanced' weights (n / (2 n_class)) or a scale_pos_weight, multiplied with
 *   optional row weights.
 * - Early stopping: the (class-weighted) log-loss on a validation set is tracked after every tree;
 *   training stops after `earlyStoppingRounds` trees without improvement and keeps the best
 *   prefix of trees.
 *
 * No randomness: the same data and parameters give the same model, bit for bit.
 * Missing values are not supported: a NaN or infinite feature value is refused with its row.
 */
import type { Dataset } from './dataset.js';
import { validateDataset } from './dataset.js';
import type { GbdtModel, Tree } from './model.js';

export type ClassWeight = 'none' | 'balanced' | { readonly scalePosWeight: number };

export interface GbdtParams {
  /** Shrinkage applied to every leaf value. */
  readonly learningRate: number;
  /** Upper bound on the number of trees (boosting rounds). */
  readonly maxTrees: number;
  /** Maximum depth of a tree (root = depth 0). */
  readonly maxDepth: number;
  /** Maximum leaves per tree (leaf-wise growth). */
  readonly maxLeaves: number;
  /** Minimum training rows in a leaf. */
  readonly minSamplesLeaf: number;
  /** Minimum sum of hessians (weighted p(1-p)) in a leaf. */
  readonly minChildWeight: number;
  /** L2 regularisation of leaf values. */
  readonly lambda: number;
  /** Minimum loss reduction for a split. */
  readonly minSplitGain: number;
  /** Maximum bins per feature (2..256). */
  readonly maxBins: number;
  /** Stop after this many trees without validation improvement (0 = never; needs a validation set). */
  readonly earlyStoppingRounds: number;
  readonly classWeight: ClassWeight;
}

export const DEFAULT_GBDT_PARAMS: GbdtParams = {
  learningRate: 0.1,
  maxTrees: 300,
  maxDepth: 6,
  maxLeaves: 31,
  minSamplesLeaf: 20,
  minChildWeight: 1e-3,
  lambda: 1,
  minSplitGain: 0,
  maxBins: 255,
  earlyStoppingRounds: 20,
  classWeight: 'none',
};

export interface IterationInfo {
  /** Trees in the ensemble so far. */
  readonly trees: number;
  readonly validationLoss: number | null;
}

export interface TrainOptions {
  readonly params?: Partial<GbdtParams>;
  /** Early stopping set (binned with the training cuts). */
  readonly validation?: Dataset;
  readonly onIteration?: (info: IterationInfo) => void;
}

export interface TrainResult {
  /** The ensemble, uncalibrated (see calibration.ts). */
  readonly model: GbdtModel;
  readonly params: GbdtParams;
  /** Trees grown before early stopping cut the ensemble back. */
  readonly treesGrown: number;
  /** Trees kept (the best validation iteration, or all without validation). */
  readonly bestIteration: number;
  readonly stoppedEarly: boolean;
  /** Weighted validation log-loss with 0, 1, ..., treesGrown trees (empty without validation). */
  readonly validationLoss: Float64Array;
  /** Weighted training log-loss of the kept ensemble. */
  readonly trainLoss: number;
  readonly classWeights: { readonly negative: number; readonly positive: number };
  /** Total split gain per feature over the kept trees (feature importance). */
  readonly featureGain: Float64Array;
  readonly bins: BinMapper;
}

// ---------------------------------------------------------------------------------------------
// Binning
// ---------------------------------------------------------------------------------------------

export interface BinMapper {
  /** Per feature, ascending float32 cut values; bin b holds values in (cut[b-1], cut[b]]. */
  readonly cuts: readonly Float64Array[];
  /** Bins per feature (cuts.length + 1). */
  readonly nBins: Int32Array;
  /** First global bin id of each feature. */
  readonly offsets: Int32Array;
  readonly totalBins: number;
}

/** The float32 value in [a, b) halfway between two float32 values a < b (or a itself). */
function cutBetween(a: number, b: number): number {
  const mid = Math.fround(a + (b - a) / 2);
  return mid >= a && mid < b ? mid : a;
}

/** Rows sampled to place the bin cuts (as LightGBM's bin_construct_sample_cnt). */
export const BIN_SAMPLE_ROWS = 200_000;

/** Quantile cuts of each feature's float32 values (rows `x[r * nFeatures + f]`). */
export function fitBins(x: ArrayLike<number>, nRows: number, nFeatures: number, maxBins: number, sampleRows = BIN_SAMPLE_ROWS): BinMapper {
  if (!(maxBins >= 2 && maxBins <= 256 && Number.isInteger(maxBins))) throw new Error(`maxBins must be an integer in 2..256, got ${maxBins}`);
  const cuts: Float64Array[] = [];
  // Quantiles from an evenly spaced sample of rows (deterministic) when there are many.
  const stride = nRows > sampleRows ? nRows / sampleRows : 1;
  const nSample = stride > 1 ? sampleRows : nRows;
  const column = new Float32Array(nSample);
  for (let f = 0; f < nFeatures; f++) {
    for (let s = 0; s < nSample; s++) column[s] = x[Math.floor(s * stride) * nFeatures + f] as number;
    column.sort();
    // Distinct values and their counts.
    const values: number[] = [];
    const counts: number[] = [];
    for (let r = 0; r < nSample; ) {
      const v = column[r] as number;
      let end = r + 1;
      while (end < nSample && column[end] === v) end++;
      values.push(v);
      counts.push(end - r);
      r = end;
    }
    const featureCuts: number[] = [];
    if (values.length <= maxBins) {
      for (let i = 0; i + 1 < values.length; i++) featureCuts.push(cutBetween(values[i] as number, values[i + 1] as number));
    } else {
      // Greedy equal-frequency bins: close a bin once it holds its share of the remaining rows;
      // a value more frequent than a share gets a bin of its own.
      let rowsLeft = nSample;
      let binsLeft = maxBins;
      let inBin = 0;
      for (let i = 0; i + 1 < values.length && binsLeft > 1; i++) {
        inBin += counts[i] as number;
        const share = rowsLeft / binsLeft;
        const next = counts[i + 1] as number;
        if (inBin >= share || inBin + next > share * 1.5) {
          featureCuts.push(cutBetween(values[i] as number, values[i + 1] as number));
          rowsLeft -= inBin;
          binsLeft--;
          inBin = 0;
        }
      }
    }
    cuts.push(Float64Array.from(featureCuts));
  }
  const nBins = Int32Array.from(cuts, (c) => c.length + 1);
  const offsets = new Int32Array(nFeatures);
  let total = 0;
  for (let f = 0; f < nFeatures; f++) {
    offsets[f] = total;
    total += nBins[f] as number;
  }
  return { cuts, nBins, offsets, totalBins: total };
}

/** Bin of a value: the number of cuts below it (first cut >= fround(value)). */
export function binOf(cuts: Float64Array, value: number): number {
  const v = Math.fround(value);
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= (cuts[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Row-major global bin ids (offset of the feature + bin) of `nRows` rows. */
export function binRows(mapper: BinMapper, x: ArrayLike<number>, nRows: number): Uint16Array {
  const nFeatures = mapper.cuts.length;
  if (mapper.totalBins > 65_536) throw new Error(`too many bins (${mapper.totalBins}): lower maxBins or the number of features`);
  const out = new Uint16Array(nRows * nFeatures);
  for (let f = 0; f < nFeatures; f++) {
    const cuts = mapper.cuts[f] as Float64Array;
    const offset = mapper.offsets[f] as number;
    for (let r = 0, i = f; r < nRows; r++, i += nFeatures) out[i] = offset + binOf(cuts, x[i] as number);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

/** Per global bin: [sum of gradients, sum of hessians, row count], interleaved (one cache line). */
type Histogram = Float64Array;

interface SplitCandidate {
  gain: number;
  feature: number;
  /** Local bin: rows with bin <= this go left. */
  bin: number;
  gl: number;
  hl: number;
  cl: number;
}

interface GrowingLeaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  c: number;
  hist: Histogram | null;
  split: SplitCandidate | null;
}

/** A tree while it grows: split features as global bin thresholds, for traversing binned rows. */
interface TreeBuilder {
  feature: number[];
  binThreshold: number[];
  globalBin: number[];
  left: number[];
  right: number[];
  value: number[];
  cover: number[];
  gain: number[];
}

function resolveParams(params: Partial<GbdtParams> | undefined): GbdtParams {
  const p: GbdtParams = { ...DEFAULT_GBDT_PARAMS, ...params };
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new Error(`invalid GBDT parameter: ${message}`);
  };
  check(p.learningRate > 0 && p.learningRate <= 1, `learningRate must be in (0, 1], got ${p.learningRate}`);
  check(Number.isInteger(p.maxTrees) && p.maxTrees >= 1, `maxTrees must be an integer >= 1, got ${p.maxTrees}`);
  check(Number.isInteger(p.maxDepth) && p.maxDepth >= 1 && p.maxDepth <= 30, `maxDepth must be an integer in 1..30, got ${p.maxDepth}`);
  check(Number.isInteger(p.maxLeaves) && p.maxLeaves >= 2, `maxLeaves must be an integer >= 2, got ${p.maxLeaves}`);
  check(Number.isInteger(p.minSamplesLeaf) && p.minSamplesLeaf >= 1, `minSamplesLeaf must be an integer >= 1, got ${p.minSamplesLeaf}`);
  check(p.minChildWeight >= 0, `minChildWeight must be >= 0, got ${p.minChildWeight}`);
  check(p.lambda >= 0, `lambda must be >= 0, got ${p.lambda}`);
  check(p.minSplitGain >= 0, `minSplitGain must be >= 0, got ${p.minSplitGain}`);
  check(Number.isInteger(p.earlyStoppingRounds) && p.earlyStoppingRounds >= 0, `earlyStoppingRounds must be an integer >= 0, got ${p.earlyStoppingRounds}`);
  const cw = p.classWeight;
  check(cw === 'none' || cw === 'balanced' || (typeof cw === 'object' && cw.scalePosWeight > 0 && Number.isFinite(cw.scalePosWeight)), `classWeight must be 'none', 'balanced' or { scalePosWeight > 0 }`);
  return p;
}

function classWeightsOf(y: Uint8Array, classWeight: ClassWeight): { negative: number; positive: number } {
  if (classWeight === 'none') return { negative: 1, positive: 1 };
  if (classWeight === 'balanced') {
    let positives = 0;
    for (let i = 0; i < y.length; i++) positives += y[i] as number;
    const n = y.length;
    return { negative: n / (2 * (n - positives)), positive: n / (2 * positives) };
  }
  return { negative: 1, positive: classWeight.scalePosWeight };
}

function rowWeights(data: Dataset, classWeights: { negative: number; positive: number }): Float64Array {
  const w = new Float64Array(data.nRows);
  for (let i = 0; i < data.nRows; i++) {
    w[i] = (data.y[i] === 1 ? classWeights.positive : classWeights.negative) * (data.weights ? (data.weights[i] as number) : 1);
  }
  return w;
}

/** log(1 + e^z), stable. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function weightedLogLoss(margin: Float64Array, y: Uint8Array, w: Float64Array): number {
  let loss = 0;
  let total = 0;
  for (let i = 0; i < margin.length; i++) {
    const m = margin[i] as number;
    loss += (w[i] as number) * (softplus(m) - (y[i] as number) * m);
    total += w[i] as number;
  }
  return total > 0 ? loss / total : 0;
}

function buildHistogram(
  hist: Histogram,
  rows: Uint32Array,
  start: number,
  end: number,
  bins: Uint16Array,
  nFeatures: number,
  grad: Float64Array,
  hess: Float64Array,
): void {
  hist.fill(0);
  for (let i = start; i < end; i++) {
    const r = rows[i] as number;
    const gr = grad[r] as number;
    const hr = hess[r] as number;
    const base = r * nFeatures;
    for (let f = 0; f < nFeatures; f++) {
      const b = (bins[base + f] as number) * 3;
      hist[b] = (hist[b] as number) + gr;
      hist[b + 1] = (hist[b + 1] as number) + hr;
      hist[b + 2] = (hist[b + 2] as number) + 1;
    }
  }
}

/** Histogram of all rows 0..n-1 in order (the root: no row index indirection). */
function buildRootHistogram(hist: Histogram, n: number, bins: Uint16Array, nFeatures: number, grad: Float64Array, hess: Float64Array): void {
  hist.fill(0);
  for (let r = 0, base = 0; r < n; r++, base += nFeatures) {
    const gr = grad[r] as number;
    const hr = hess[r] as number;
    for (let f = 0; f < nFeatures; f++) {
      const b = (bins[base + f] as number) * 3;
      hist[b] = (hist[b] as number) + gr;
      hist[b + 1] = (hist[b + 1] as number) + hr;
      hist[b + 2] = (hist[b + 2] as number) + 1;
    }
  }
}

/**
 * Stable partition of rows[start, end): rows whose bin in `column` (one feature's local bins,
 * one byte per row: a sweep reads 1/20 of the memory of the row-major matrix) is <= threshold
 * come first. Returns the end of the left part.
 */
function partitionRows(rows: Uint32Array, scratch: Uint32Array, start: number, end: number, column: Uint8Array, threshold: number): number {
  let l = start;
  let k = 0;
  // Branch-free: every row is written to both sides and only one cursor advances (the split
  // direction is random, so a branch would mispredict half the time). rows[l] is safe to
  // overwrite because l <= i.
  for (let i = start; i < end; i++) {
    const r = rows[i] as number;
    const goesLeft = (column[r] as number) <= threshold ? 1 : 0;
    rows[l] = r;
    scratch[k] = r;
    l += goesLeft;
    k += 1 - goesLeft;
  }
  rows.set(scratch.subarray(0, k), l);
  return l;
}

/** Trains a binary GBDT on `train` (labels 0/1). */
export function trainGbdt(train: Dataset, options: TrainOptions = {}): TrainResult {
  const params = resolveParams(options.params);
  validateDataset(train, 'training set');
  const validation = options.validation;
  if (validation) {
    validateDataset(validation, 'validation set');
    if (validation.featureNames.length !== train.featureNames.length || validation.featureNames.some((n, i) => n !== train.featureNames[i])) {
      throw new Error('validation set: features differ from the training set');
    }
  }
  const n = train.nRows;
  const nFeatures = train.featureNames.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += train.y[i] as number;
  if (positives === 0 || positives === n) throw new Error(`training set: needs both classes, has ${positives} positive rows of ${n}`);

  const classWeights = classWeightsOf(train.y, params.classWeight);
  const w = rowWeights(train, classWeights);
  let wPos = 0;
  let wAll = 0;
  for (let i = 0; i < n; i++) {
    wAll += w[i] as number;
    if (train.y[i] === 1) wPos += w[i] as number;
  }
  if (!(wPos > 0 && wPos < wAll)) throw new Error('training set: the weights of one class sum to zero');
  const baseScore = Math.log(wPos / (wAll - wPos));

  const bins = fitBins(train.x, n, nFeatures, params.maxBins);
  const binned = binRows(bins, train.x, n);
  // Column-major local bins (one byte per row and feature) for partitioning.
  const columns: Uint8Array[] = [];
  for (let f = 0; f < nFeatures; f++) {
    const column = new Uint8Array(n);
    const offset = bins.offsets[f] as number;
    for (let r = 0, i = f; r < n; r++, i += nFeatures) column[r] = (binned[i] as number) - offset;
    columns.push(column);
  }
  const totalBins = bins.totalBins;
  const { offsets, nBins, cuts } = bins;

  const margin = new Float64Array(n).fill(baseScore);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const rows = new Uint32Array(n);
  const scratch = new Uint32Array(n);

  let validBinned: Uint16Array | null = null;
  let validMargin: Float64Array | null = null;
  let validWeights: Float64Array | null = null;
  const validationLoss: number[] = [];
  if (validation) {
    validBinned = binRows(bins, validation.x, validation.nRows);
    validMargin = new Float64Array(validation.nRows).fill(baseScore);
    validWeights = rowWeights(validation, classWeights);
    validationLoss.push(weightedLogLoss(validMargin, validation.y, validWeights));
  }

  const pool: Histogram[] = [];
  const takeHistogram = (): Histogram => pool.pop() ?? new Float64Array(totalBins * 3);
  const { lambda, minSamplesLeaf, minChildWeight, minSplitGain, maxDepth, maxLeaves, learningRate } = params;

  const findSplit = (leaf: GrowingLeaf): SplitCandidate | null => {
    if (leaf.depth >= maxDepth || leaf.c < 2 * minSamplesLeaf || leaf.hist === null) return null;
    const hist = leaf.hist;
    const G = leaf.g;
    const H = leaf.h;
    const C = leaf.c;
    const parentScore = (G * G) / (H + lambda);
    let best: SplitCandidate | null = null;
    let bestGain = minSplitGain;
    for (let f = 0; f < nFeatures; f++) {
      const nb = nBins[f] as number;
      if (nb < 2) continue;
      const offset = offsets[f] as number;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        const o = (offset + b) * 3;
        gl += hist[o] as number;
        hl += hist[o + 1] as number;
        cl += hist[o + 2] as number;
        if (cl < minSamplesLeaf || hl < minChildWeight) continue;
        const cr = C - cl;
        if (cr < minSamplesLeaf) break;
        const hr = H - hl;
        if (hr < minChildWeight) break;
        const gr = G - gl;
        const gain = 0.5 * ((gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore);
        if (gain > bestGain) {
          bestGain = gain;
          best = { gain, feature: f, bin: b, gl, hl, cl };
        }
      }
    }
    return best;
  };

  const growTree = (): TreeBuilder => {
    const tree: TreeBuilder = { feature: [-1], binThreshold: [0], globalBin: [0], left: [-1], right: [-1], value: [0], cover: [n], gain: [0] };
    for (let i = 0; i < n; i++) rows[i] = i;
    let G = 0;
    let H = 0;
    for (let i = 0; i < n; i++) {
      G += grad[i] as number;
      H += hess[i] as number;
    }
    const root: GrowingLeaf = { node: 0, start: 0, end: n, depth: 0, g: G, h: H, c: n, hist: null, split: null };
    if (maxDepth > 0 && n >= 2 * minSamplesLeaf) {
      root.hist = takeHistogram();
      buildRootHistogram(root.hist, n, binned, nFeatures, grad, hess);
      root.split = findSplit(root);
    }
    const leaves: GrowingLeaf[] = [root];
    const release = (leaf: GrowingLeaf): void => {
      if (leaf.hist && leaf.split === null) {
        pool.push(leaf.hist);
        leaf.hist = null;
      }
    };
    release(root);
    while (leaves.length < maxLeaves) {
      let pick = -1;
      for (let i = 0; i < leaves.length; i++) {
        const s = (leaves[i] as GrowingLeaf).split;
        if (s === null) continue;
        const current = pick < 0 ? null : (leaves[pick] as GrowingLeaf);
        if (current === null || s.gain > (current.split as SplitCandidate).gain) pick = i;
      }
      if (pick < 0) break;
      const parent = leaves[pick] as GrowingLeaf;
      const split = parent.split as SplitCandidate;
      const globalThreshold = (offsets[split.feature] as number) + split.bin;
      const f = split.feature;
      const l = partitionRows(rows, scratch, parent.start, parent.end, columns[f] as Uint8Array, split.bin);
      const leftNode = tree.feature.length;
      const rightNode = leftNode + 1;
      for (const node of [leftNode, rightNode]) {
        tree.feature[node] = -1;
        tree.binThreshold[node] = 0;
        tree.globalBin[node] = 0;
        tree.left[node] = -1;
        tree.right[node] = -1;
        tree.value[node] = 0;
        tree.gain[node] = 0;
      }
      tree.feature[parent.node] = f;
      tree.binThreshold[parent.node] = (cuts[f] as Float64Array)[split.bin] as number;
      tree.globalBin[parent.node] = globalThreshold;
      tree.left[parent.node] = leftNode;
      tree.right[parent.node] = rightNode;
      tree.gain[parent.node] = split.gain;
      const depth = parent.depth + 1;
      const leftLeaf: GrowingLeaf = { node: leftNode, start: parent.start, end: l, depth, g: split.gl, h: split.hl, c: split.cl, hist: null, split: null };
      const rightLeaf: GrowingLeaf = {
        node: rightNode,
        start: l,
        end: parent.end,
        depth,
        g: parent.g - split.gl,
        h: parent.h - split.hl,
        c: parent.c - split.cl,
        hist: null,
        split: null,
      };
      tree.cover[leftNode] = leftLeaf.c;
      tree.cover[rightNode] = rightLeaf.c;
      const parentHist = parent.hist as Histogram;
      parent.hist = null;
      const childrenCanSplit = depth < maxDepth && leaves.length + 1 < maxLeaves;
      if (childrenCanSplit) {
        const [small, large] = leftLeaf.c <= rightLeaf.c ? [leftLeaf, rightLeaf] : [rightLeaf, leftLeaf];
        small.hist = takeHistogram();
        buildHistogram(small.hist, rows, small.start, small.end, binned, nFeatures, grad, hess);
        const sh = small.hist;
        for (let b = 0; b < parentHist.length; b++) parentHist[b] = (parentHist[b] as number) - (sh[b] as number);
        large.hist = parentHist;
        leftLeaf.split = findSplit(leftLeaf);
        rightLeaf.split = findSplit(rightLeaf);
        release(leftLeaf);
        release(rightLeaf);
      } else {
        pool.push(parentHist);
      }
      leaves.splice(pick, 1, leftLeaf, rightLeaf);
    }
    // Leaf values, and the training margins updated through the leaves' row ranges.
    for (const leaf of leaves) {
      if (leaf.hist) {
        pool.push(leaf.hist);
        leaf.hist = null;
      }
      const value = (-leaf.g / (leaf.h + lambda)) * learningRate;
      tree.value[leaf.node] = value;
      for (let i = leaf.start; i < leaf.end; i++) {
        const r = rows[i] as number;
        margin[r] = (margin[r] as number) + value;
      }
    }
    return tree;
  };

  const builders: TreeBuilder[] = [];
  let bestIteration = 0;
  let bestLoss = validationLoss[0] ?? Infinity;
  let stoppedEarly = false;
  for (let t = 0; t < params.maxTrees; t++) {
    for (let i = 0; i < n; i++) {
      const m = margin[i] as number;
      const p = m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m));
      const wi = w[i] as number;
      grad[i] = wi * (p - (train.y[i] as number));
      hess[i] = wi * Math.max(p * (1 - p), 1e-16);
    }
    const tree = growTree();
    builders.push(tree);
    let loss: number | null = null;
    if (validation && validBinned && validMargin && validWeights) {
      const { feature, globalBin, left, right, value } = tree;
      for (let r = 0; r < validation.nRows; r++) {
        let node = 0;
        let f = feature[0] as number;
        const base = r * nFeatures;
        while (f >= 0) {
          node = (validBinned[base + f] as number) <= (globalBin[node] as number) ? (left[node] as number) : (right[node] as number);
          f = feature[node] as number;
        }
        validMargin[r] = (validMargin[r] as number) + (value[node] as number);
      }
      loss = weightedLogLoss(validMargin, validation.y, validWeights);
      validationLoss.push(loss);
      if (loss < bestLoss) {
        bestLoss = loss;
        bestIteration = builders.length;
      }
    } else {
      bestIteration = builders.length;
    }
    options.onIteration?.({ trees: builders.length, validationLoss: loss });
    if (validation && params.earlyStoppingRounds > 0 && builders.length - bestIteration >= params.earlyStoppingRounds) {
      stoppedEarly = true;
      break;
    }
    // A tree without a split changes every margin by the same constant; the next would not split either.
    if (tree.feature[0] === -1) break;
  }

  const kept = builders.slice(0, bestIteration);
  const featureGain = new Float64Array(nFeatures);
  const trees: Tree[] = kept.map((b) => {
    for (let i = 0; i < b.feature.length; i++) {
      const f = b.feature[i] as number;
      if (f >= 0) featureGain[f] = (featureGain[f] as number) + (b.gain[i] as number);
    }
    return {
      feature: Int32Array.from(b.feature),
      threshold: Float64Array.from(b.binThreshold),
      left: Int32Array.from(b.left),
      right: Int32Array.from(b.right),
      value: Float64Array.from(b.value),
      cover: Float64Array.from(b.cover),
    };
  });
  // Training margins of the kept ensemble: undo the trees grown after the best iteration.
  if (kept.length < builders.length) {
    for (const b of builders.slice(kept.length)) {
      for (let r = 0; r < n; r++) {
        let node = 0;
        let f = b.feature[0] as number;
        const base = r * nFeatures;
        while (f >= 0) {
          node = (binned[base + f] as number) <= (b.globalBin[node] as number) ? (b.left[node] as number) : (b.right[node] as number);
          f = b.feature[node] as number;
        }
        margin[r] = (margin[r] as number) - (b.value[node] as number);
      }
    }
  }
  return {
    model: { featureNames: [...train.featureNames], baseScore, trees, calibration: null },
    params,
    treesGrown: builders.length,
    bestIteration,
    stoppedEarly,
    validationLoss: Float64Array.from(validationLoss),
    trainLoss: weightedLogLoss(margin, train.y, w),
    classWeights,
    featureGain,
    bins,
  };
}
