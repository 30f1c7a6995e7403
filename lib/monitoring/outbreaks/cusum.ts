/**
 * Page's (1954) one-sided upper CUSUM on standardised counts, with a moving baseline.
 *
 * For period t, the in-control mean and SD are the sample mean and sample SD (n - 1) of the
 * `baseline` periods [t - guard - baseline, t - guard) (default 28 periods ending 2 periods before
 * t, so that the start of an outbreak does not leak into its own baseline), the SD floored at
 * `minSigma` (default 1: a reference window of zeros would otherwise have SD 0). Then
 *   z_t = (y_t - mean_t) / sd_t,   S_t = max(0, S_{t-1} + z_t - k),   alarm when S_t > h,
 * with k = 0.5 (tuned to a shift of 1 SD) and h = 5 (in-control average run length ~ 465 periods for
 * normal data). After an alarm S is reset to 0 (`resetAfterAlarm`, default true), as in Page's
 * procedure where the chart restarts once it has signalled.
 * The threshold reported for t is the count that would make S_t exceed h:
 *   threshold_t = mean_t + sd_t * (h + k - S_{t-1}),   alarm <=> y_t > threshold_t.
 * Periods before the first complete baseline are not evaluated (null threshold and alarm).
 */

export interface CusumOptions {
  /** Reference value in SD units. Default 0.5. */
  readonly k?: number;
  /** Decision interval in SD units. Default 5. */
  readonly h?: number;
  /** Baseline window length in periods. Default 28. */
  readonly baseline?: number;
  /** Periods between the baseline window and the current period. Default 2. */
  readonly guard?: number;
  /** Floor of the baseline SD. Default 1. */
  readonly minSigma?: number;
  readonly resetAfterAlarm?: boolean;
}

export interface CusumPoint {
  readonly index: number;
  readonly observed: number;
  readonly mean: number | null;
  readonly sd: number | null;
  readonly z: number | null;
  /** S_t after this period (before any reset that its alarm triggers). */
  readonly cusum: number | null;
  readonly threshold: number | null;
  readonly alarm: boolean | null;
}

export const CUSUM_DEFAULTS = { k: 0.5, h: 5, baseline: 28, guard: 2, minSigma: 1, resetAfterAlarm: true } as const;

export function cusum(observed: ArrayLike<number>, options: CusumOptions = {}): CusumPoint[] {
  const k = options.k ?? CUSUM_DEFAULTS.k;
  const h = options.h ?? CUSUM_DEFAULTS.h;
  const baseline = options.baseline ?? CUSUM_DEFAULTS.baseline;
  const guard = options.guard ?? CUSUM_DEFAULTS.guard;
  const minSigma = options.minSigma ?? CUSUM_DEFAULTS.minSigma;
  const reset = options.resetAfterAlarm ?? CUSUM_DEFAULTS.resetAfterAlarm;
  if (!(baseline >= 2)) throw new RangeError('CUSUM: baseline must be at least 2 periods');
  if (!(guard >= 0)) throw new RangeError('CUSUM: guard must be >= 0');
  const n = observed.length;
  const out: CusumPoint[] = [];
  let s = 0;
  for (let t = 0; t < n; t++) {
    const y = observed[t]!;
    const from = t - guard - baseline;
    if (from < 0) {
      out.push({ index: t, observed: y, mean: null, sd: null, z: null, cusum: null, threshold: null, alarm: null });
      continue;
    }
    let sum = 0;
    for (let i = from; i < from + baseline; i++) sum += observed[i]!;
    const mean = sum / baseline;
    let ss = 0;
    for (let i = from; i < from + baseline; i++) ss += (observed[i]! - mean) ** 2;
    const sd = Math.max(Math.sqrt(ss / (baseline - 1)), minSigma);
    const z = (y - mean) / sd;
    const threshold = mean + sd * (h + k - s);
    s = Math.max(0, s + z - k);
    const alarm = s > h;
    out.push({ index: t, observed: y, mean, sd, z, cusum: s, threshold, alarm });
    if (alarm && reset) s = 0;
  }
  return out;
}
