/**
 * Probability calibration by Platt scaling: calibrated p = sigmoid(a * m + b), where m is the
 * ensemble's raw margin (log-odds), with (a, b) fitted by maximum likelihood on the validation
 * split (never on the training rows, whose margins are optimistic).
 *
 * Why Platt and not isotonic: it is an affine map of the margin, so it folds into the tree
 * ensemble itself and the ONNX graph stays "TreeEnsembleRegressor -> Sigmoid":
 *
 *   a * (base + sum_t leaf_t(x)) + b  =  (a * base + b) + sum_t (a * leaf_t(x))
 *
 * i.e. every leaf weight is multiplied by a and the base value becomes a * base + b
 * (`foldCalibration` in model.ts). TreeSHAP contributions scale by a in the same way. It also
 * undoes the shift that class-imbalance weighting puts into the margins (a weighted model
 * over-predicts the positive class; b moves it back to the observed rate).
 *
 * The fit follows Platt (1999) with the improvements of Lin, Lin & Weng (2007): targets
 * smoothed to (N+ + 1) / (N+ + 2) and 1 / (N- + 2) to avoid overfitting a small validation set,
 * Newton's method with backtracking line search on the convex negative log-likelihood.
 */
import type { Dataset } from './dataset.js';
import type { GbdtModel, PlattCalibration } from './model.js';
import { predictRawMargins, sigmoid } from './model.js';

export interface PlattOptions {
  /** Use Platt's smoothed targets instead of hard 0/1 labels (default true). */
  readonly smoothTargets?: boolean;
  readonly maxIterations?: number;
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Fits sigmoid(a * margin + b) to the labels by maximum likelihood. */
export function fitPlatt(margins: ArrayLike<number>, labels: ArrayLike<number>, options: PlattOptions = {}): PlattCalibration {
  const n = margins.length;
  if (labels.length !== n) throw new Error(`fitPlatt: ${n} margins but ${labels.length} labels`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (y !== 0 && y !== 1) throw new Error(`fitPlatt: label ${i} is ${y}, expected 0 or 1`);
    if (!Number.isFinite(margins[i] as number)) throw new Error(`fitPlatt: margin ${i} is not finite`);
    positives += y;
  }
  if (positives === 0 || positives === n) throw new Error(`fitPlatt: the calibration set needs both classes (has ${positives} positives of ${n})`);
  const smooth = options.smoothTargets ?? true;
  const hiTarget = smooth ? (positives + 1) / (positives + 2) : 1;
  const loTarget = smooth ? 1 / (n - positives + 2) : 0;
  const target = (i: number): number => ((labels[i] as number) === 1 ? hiTarget : loTarget);
  const objective = (a: number, b: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = a * (margins[i] as number) + b;
      sum += softplus(z) - target(i) * z;
    }
    return sum;
  };
  let a = 1;
  let b = 0;
  let value = objective(a, b);
  const maxIterations = options.maxIterations ?? 100;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const m = margins[i] as number;
      const p = sigmoid(a * m + b);
      const d = p - target(i);
      const s = p * (1 - p);
      ga += d * m;
      gb += d;
      haa += s * m * m;
      hab += s * m;
      hbb += s;
    }
    if (Math.abs(ga) < 1e-9 * n && Math.abs(gb) < 1e-9 * n) break;
    const det = haa * hbb - hab * hab;
    // Newton direction (fall back to the gradient when the Hessian is singular).
    const da = det > 0 ? -(hbb * ga - hab * gb) / det : -ga;
    const db = det > 0 ? -(haa * gb - hab * ga) / det : -gb;
    let step = 1;
    let improved = false;
    while (step > 1e-10) {
      const next = objective(a + step * da, b + step * db);
      if (next < value) {
        a += step * da;
        b += step * db;
        improved = value - next > 1e-15 * Math.max(1, Math.abs(value));
        value = next;
        break;
      }
      step /= 2;
    }
    if (!improved) break;
  }
  return { method: 'platt', a, b };
}

/** The model with Platt calibration fitted on `calibrationSet` (typically the validation split). */
export function calibrateModel(model: GbdtModel, calibrationSet: Dataset, options: PlattOptions = {}): GbdtModel {
  const margins = predictRawMargins(model, calibrationSet.x, calibrationSet.nRows);
  return { ...model, calibration: fitPlatt(margins, calibrationSet.y, options) };
}

/** Calibrated probability of a raw margin. */
export function applyPlatt(calibration: PlattCalibration, rawMargin: number): number {
  return sigmoid(calibration.a * rawMargin + calibration.b);
}
