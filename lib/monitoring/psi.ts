import { sortedCopy } from './ks.js';

/**
 * Population Stability Index of a current sample against a baseline sample.
 *
 * Bins: the baseline's quantiles at 1/B, 2/B, ..., (B-1)/B (B = `bins`, default 10), computed as
 * numpy.quantile / R's type 7 (linear interpolation between order statistics); repeated edges
 * (ties in the baseline) are merged, so there may be fewer than B bins. Bins are right-closed:
 * (-inf, e1], (e1, e2], ..., (e_last, +inf).
 * Shares: count / n in each bin, floored at `epsilon` (default 1e-4) so that an empty bin does not
 * make the logarithm infinite; the floored shares are not renormalised.
 * PSI = sum over bins of (current - baseline) * ln(current / baseline).
 * Conventional reading: < 0.1 stable, 0.1 to 0.25 moderate shift, > 0.25 major shift.
 * Any NaN in either sample gives NaN. Equal to reference/monitoring/ks_fixtures.py's numpy
 * computation within 1e-12 on test/fixtures/monitoring/psi.json.
 */

export { benjaminiHochberg } from './multipleTesting.js';

export interface PsiOptions {
  /** Number of baseline-quantile bins before merging tied edges. Default 10. */
  readonly bins?: number;
  /** Floor of a bin's share. Default 1e-4. */
  readonly epsilon?: number;
}

export interface PsiResult {
  readonly psi: number;
  /** Bin edges (unique baseline quantiles), ascending. */
  readonly edges: number[];
  readonly baselineShares: number[];
  readonly currentShares: number[];
}

export const PSI_DEFAULT_BINS = 10;
export const PSI_DEFAULT_EPSILON = 1e-4;

/** numpy.quantile(sorted, q) with the default linear method (R type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const g = h - lo;
  // numpy's _lerp: a + (b - a) * g, evaluated from the nearer end.
  const diff = b - a;
  return g >= 0.5 ? b - diff * (1 - g) : a + diff * g;
}

function binIndex(edges: readonly number[], x: number): number {
  // Number of edges strictly below x (numpy searchsorted side='left'): right-closed bins.
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function populationStabilityIndex(baseline: ArrayLike<number>, current: ArrayLike<number>, options: PsiOptions = {}): PsiResult {
  const bins = options.bins ?? PSI_DEFAULT_BINS;
  const epsilon = options.epsilon ?? PSI_DEFAULT_EPSILON;
  if (baseline.length === 0 || current.length === 0) throw new RangeError('PSI: both samples must be non-empty');
  if (!(bins >= 2 && Number.isInteger(bins))) throw new RangeError('PSI: bins must be an integer >= 2');
  const sorted = sortedCopy(baseline);
  const hasNaN = (xs: ArrayLike<number>) => {
    for (let i = 0; i < xs.length; i++) if (Number.isNaN(xs[i]!)) return true;
    return false;
  };
  if (hasNaN(sorted) || hasNaN(current)) return { psi: NaN, edges: [], baselineShares: [], currentShares: [] };
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  const bCount = new Array<number>(edges.length + 1).fill(0);
  const cCount = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < sorted.length; i++) bCount[binIndex(edges, sorted[i]!)]!++;
  for (let i = 0; i < current.length; i++) cCount[binIndex(edges, current[i]!)]!++;
  const baselineShares = bCount.map((c) => Math.max(c / sorted.length, epsilon));
  const currentShares = cCount.map((c) => Math.max(c / current.length, epsilon));
  let psi = 0;
  for (let j = 0; j < baselineShares.length; j++) {
    const b = baselineShares[j]!;
    const c = currentShares[j]!;
    psi += (c - b) * Math.log(c / b);
  }
  return { psi, edges, baselineShares, currentShares };
}

/** The conventional reading of a PSI value. */
export function psiLevel(psi: number): 'stable' | 'moderate' | 'major' {
  return psi < 0.1 ? 'stable' : psi <= 0.25 ? 'moderate' : 'major';
}
