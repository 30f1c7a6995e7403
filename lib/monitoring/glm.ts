/**
 * Quasi-Poisson GLM with log link fitted by iteratively reweighted least squares, step for step
 * as R's `glm.fit(family = quasipoisson(link = "log"))` (R 4.2 stats):
 * start mu = y + 0.1, eta = log(mu); each iteration solves the weighted least squares problem
 * (weights w = sqrt(prior * mu), working response z = eta - offset + (y - mu)/mu) by a Householder
 * QR, mu = max(exp(eta), DBL_EPSILON); stops when |dev - dev_old| / (|dev| + 0.1) < epsilon
 * (1e-8) or after maxit (25) iterations; halves the step when the deviance is not finite.
 * Afterwards, as R does, the working weights kept with the fit are those of the last iteration
 * (computed from the mu before its update) and the working residuals use the final mu, so the
 * dispersion (summary.glm: sum(w * r^2) / df.residual), the unscaled covariance (X'WX)^-1 and
 * the hat values (lm.influence) are R's.
 *
 * For small design matrices (a few columns); rows are observations.
 */

export interface GlmOptions {
  /** Prior weights (R's `weights`), default 1. */
  readonly weights?: ArrayLike<number>;
  /** Offset on the linear predictor, default 0. */
  readonly offset?: ArrayLike<number>;
  /** R's glm.control(epsilon), default 1e-8. */
  readonly epsilon?: number;
  /** R's glm.control(maxit), default 25. */
  readonly maxit?: number;
}

export interface GlmFit {
  readonly coefficients: Float64Array;
  /** Fitted means mu. */
  readonly fitted: Float64Array;
  readonly linearPredictor: Float64Array;
  /** Working weights of the last iteration (R's `fit$weights`). */
  readonly workingWeights: Float64Array;
  /** Working residuals (y - mu) / mu (R's `fit$residuals`). */
  readonly workingResiduals: Float64Array;
  readonly converged: boolean;
  readonly iterations: number;
  readonly deviance: number;
  readonly dfResidual: number;
  /** Estimated dispersion, summary.glm's Pearson statistic over the residual degrees of freedom. */
  readonly dispersion: number;
  /** (X' W X)^-1 from the last iteration's QR, p x p row-major. */
  readonly covUnscaled: Float64Array;
  /** Diagonal of the hat matrix (R's hatvalues). */
  readonly hat: Float64Array;
}

const DBL_EPS = Number.EPSILON;

function devResids(y: ArrayLike<number>, mu: ArrayLike<number>, wt: ArrayLike<number>): number {
  let dev = 0;
  for (let i = 0; i < y.length; i++) {
    const yi = y[i]!;
    const mi = mu[i]!;
    const r = yi > 0 ? wt[i]! * (yi * Math.log(yi / mi) - (yi - mi)) : mi * wt[i]!;
    dev += 2 * r;
  }
  return dev;
}

interface QrSolution {
  coef: Float64Array;
  /** R, p x p upper triangular, row-major. */
  r: Float64Array;
  rank: number;
}

/** Least squares by Householder QR of the n x p row-major matrix `a` (overwritten). */
function qrSolve(a: Float64Array, b: Float64Array, n: number, p: number): QrSolution {
  let rank = p;
  for (let j = 0; j < p; j++) {
    let norm = 0;
    for (let i = j; i < n; i++) norm += a[i * p + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      rank = Math.min(rank, j);
      continue;
    }
    const ajj = a[j * p + j]!;
    const alpha = ajj > 0 ? -norm : norm;
    // v = x - alpha e1, stored in place of column j below the diagonal; v_j kept separately.
    const vj = ajj - alpha;
    a[j * p + j] = vj;
    let vnorm2 = vj * vj;
    for (let i = j + 1; i < n; i++) vnorm2 += a[i * p + j]! ** 2;
    if (vnorm2 === 0) {
      a[j * p + j] = alpha;
      continue;
    }
    for (let k = j + 1; k < p; k++) {
      let s = 0;
      for (let i = j; i < n; i++) s += a[i * p + j]! * a[i * p + k]!;
      const f = (2 * s) / vnorm2;
      for (let i = j; i < n; i++) a[i * p + k] = a[i * p + k]! - f * a[i * p + j]!;
    }
    let s = 0;
    for (let i = j; i < n; i++) s += a[i * p + j]! * b[i]!;
    const f = (2 * s) / vnorm2;
    for (let i = j; i < n; i++) b[i] = b[i]! - f * a[i * p + j]!;
    a[j * p + j] = alpha;
  }
  const r = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let k = i; k < p; k++) r[i * p + k] = a[i * p + k]!;
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Math.max(maxDiag, Math.abs(r[i * p + i]!));
  for (let i = 0; i < p; i++) if (Math.abs(r[i * p + i]!) <= 1e-11 * maxDiag) rank = Math.min(rank, i);
  const coef = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < p; k++) s -= r[i * p + k]! * coef[k]!;
    coef[i] = s / r[i * p + i]!;
  }
  return { coef, r, rank };
}

/** Inverse of an upper triangular p x p matrix. */
function invertUpper(r: Float64Array, p: number): Float64Array {
  const inv = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    inv[j * p + j] = 1 / r[j * p + j]!;
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r[i * p + k]! * inv[k * p + j]!;
      inv[i * p + j] = -s / r[i * p + i]!;
    }
  }
  return inv;
}

/**
 * Fit y ~ X (X: n rows of p covariates, include the intercept column yourself) as
 * glm(family = quasipoisson(link = "log")). Throws on a rank-deficient design or negative y.
 */
export function fitQuasiPoissonLog(x: ReadonlyArray<ArrayLike<number>>, y: ArrayLike<number>, options: GlmOptions = {}): GlmFit {
  const n = y.length;
  if (x.length !== n) throw new RangeError('fitQuasiPoissonLog: x and y differ in length');
  const p = n > 0 ? x[0]!.length : 0;
  const epsilon = options.epsilon ?? 1e-8;
  const maxit = options.maxit ?? 25;
  const prior = new Float64Array(n).fill(1);
  if (options.weights) for (let i = 0; i < n; i++) prior[i] = options.weights[i]!;
  const offset = new Float64Array(n);
  if (options.offset) for (let i = 0; i < n; i++) offset[i] = options.offset[i]!;
  for (let i = 0; i < n; i++) if (!(y[i]! >= 0)) throw new RangeError('negative values not allowed for the quasiPoisson family');

  const eta = new Float64Array(n);
  const mu = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    eta[i] = Math.log(y[i]! + 0.1);
    mu[i] = Math.max(Math.exp(eta[i]!), DBL_EPS);
  }
  let devold = devResids(y, mu, prior);
  let dev = devold;
  let coef: Float64Array = new Float64Array(p);
  let coefold: Float64Array | null = null;
  let converged = false;
  let iterations = 0;
  const w = new Float64Array(n);
  let good: boolean[] = [];
  let lastR: Float64Array = new Float64Array(p * p);
  let rank = p;
  for (let iter = 1; iter <= maxit; iter++) {
    iterations = iter;
    good = [];
    for (let i = 0; i < n; i++) good.push(prior[i]! > 0 && mu[i]! !== 0);
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (good[i]) rows.push(i);
    if (rows.length === 0) break;
    const ng = rows.length;
    const a = new Float64Array(ng * p);
    const b = new Float64Array(ng);
    for (let r = 0; r < ng; r++) {
      const i = rows[r]!;
      const muEta = mu[i]!;
      const z = eta[i]! - offset[i]! + (y[i]! - mu[i]!) / muEta;
      w[i] = Math.sqrt((prior[i]! * muEta * muEta) / mu[i]!);
      const xi = x[i]!;
      for (let k = 0; k < p; k++) a[r * p + k] = xi[k]! * w[i]!;
      b[r] = z * w[i]!;
    }
    const sol = qrSolve(a, b, ng, p);
    rank = sol.rank;
    if (rank < p) throw new RangeError('fitQuasiPoissonLog: the design matrix is rank deficient');
    if (!sol.coef.every(Number.isFinite)) break;
    lastR = sol.r;
    let start: Float64Array = sol.coef;
    const update = (s: Float64Array) => {
      for (let i = 0; i < n; i++) {
        let e = offset[i]!;
        const xi = x[i]!;
        for (let k = 0; k < p; k++) e += xi[k]! * s[k]!;
        eta[i] = e;
        mu[i] = Math.max(Math.exp(e), DBL_EPS);
      }
      dev = devResids(y, mu, prior);
    };
    update(start);
    const validMu = () => mu.every((m) => Number.isFinite(m) && m > 0);
    if (!Number.isFinite(dev) || !validMu()) {
      if (coefold === null) throw new RangeError('no valid set of coefficients has been found');
      for (let ii = 1; !Number.isFinite(dev) || !validMu(); ii++) {
        if (ii > maxit) throw new RangeError('inner loop; cannot correct step size');
        const half: Float64Array = new Float64Array(p);
        for (let k = 0; k < p; k++) half[k] = (start[k]! + coefold[k]!) / 2;
        start = half;
        update(start);
      }
    }
    coef = start;
    if (Math.abs(dev - devold) / (0.1 + Math.abs(dev)) < epsilon) {
      converged = true;
      break;
    }
    devold = dev;
    coefold = start;
  }

  const workingWeights = new Float64Array(n);
  const workingResiduals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    workingResiduals[i] = (y[i]! - mu[i]!) / Math.max(Math.exp(eta[i]!), DBL_EPS);
    workingWeights[i] = good[i] ? w[i]! * w[i]! : 0;
  }
  let nOk = 0;
  for (let i = 0; i < n; i++) if (prior[i]! !== 0) nOk++;
  const dfResidual = nOk - rank;
  let pearson = 0;
  for (let i = 0; i < n; i++) if (workingWeights[i]! > 0) pearson += workingWeights[i]! * workingResiduals[i]! ** 2;
  const dispersion = dfResidual > 0 ? pearson / dfResidual : NaN;

  const rinv = invertUpper(lastR, p);
  const covUnscaled = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < p; k++) s += rinv[i * p + k]! * rinv[j * p + k]!;
      covUnscaled[i * p + j] = s;
    }
  }
  const hat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!good[i]) continue;
    const xi = x[i]!;
    let h = 0;
    for (let j = 0; j < p; j++) {
      let q = 0;
      for (let k = 0; k <= j; k++) q += xi[k]! * rinv[k * p + j]!;
      h += q * q;
    }
    h *= workingWeights[i]!;
    hat[i] = h > 1 - 10 * DBL_EPS ? 1 : h;
  }
  return {
    coefficients: coef,
    fitted: mu,
    linearPredictor: eta,
    workingWeights,
    workingResiduals,
    converged,
    iterations,
    deviance: dev,
    dfResidual,
    dispersion,
    covUnscaled,
    hat,
  };
}
