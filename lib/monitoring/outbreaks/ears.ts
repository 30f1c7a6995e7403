/**
 * EARS C1, C2 and C3 exactly as R surveillance's `earsC` (1.20), with its defaults:
 * baseline = 7 periods, minSigma = 0, alpha = 0.001 for C1 and C2 and 0.025 for C3 (earsC's own
 * choice when `alpha` is not given for C3), z = qnorm(1 - alpha).
 *
 * - C1: reference values are the `baseline` periods just before t (lags baseline..1);
 *   threshold(t) = mean + z * max(sd, minSigma).
 * - C2: the same with a 2-period guard band (lags baseline+2..3).
 * - C3: with C2(s) = (y(s) - mean_s) / max(sd_s, minSigma) on C2's reference values,
 *   threshold(t) = max(0, y(t) + max(sd_t, minSigma) * (z - (max(0, C2(t-2) - 1) + max(0, C2(t-1) - 1)))),
 *   so that y(t) > threshold(t) exactly when the C2 excesses over 1 of the two previous periods
 *   sum to more than z (earsC's formula, kept as is).
 * - alarm(t) = y(t) > threshold(t).
 * sd is the sample standard deviation (n - 1). Default range: the first period with a complete
 * reference window (index baseline, baseline + 2, baseline + 4 for C1, C2, C3; 0-based) to the end.
 * Where R gives NA (0/0 when a reference window is constant with minSigma = 0), the threshold and
 * alarm here are null.
 */
import { qnorm } from '../distributions.js';

export type EarsMethod = 'C1' | 'C2' | 'C3';

export interface EarsOptions {
  readonly method?: EarsMethod;
  /** Reference window length (>= 3). Default 7. */
  readonly baseline?: number;
  /** Lower bound on the reference SD. Default 0. */
  readonly minSigma?: number;
  /** Default 0.001 (C1, C2) or 0.025 (C3). */
  readonly alpha?: number;
  /** 0-based first and last index to evaluate (inclusive). */
  readonly range?: readonly [number, number];
}

export interface EarsPoint {
  readonly index: number;
  readonly observed: number;
  /** Upper bound; null outside the range or where R gives NA. */
  readonly threshold: number | null;
  /** null outside the range or where R gives NA. */
  readonly alarm: boolean | null;
}

/** R's mean(): sum / n refined by the mean of the residuals. */
function mean(values: ArrayLike<number>, from: number, to: number): number {
  const n = to - from;
  let s = 0;
  for (let i = from; i < to; i++) s += values[i]!;
  let m = s / n;
  if (Number.isFinite(m)) {
    let t = 0;
    for (let i = from; i < to; i++) t += values[i]! - m;
    m += t / n;
  }
  return m;
}

/** R's sd(): two-pass sample standard deviation. */
function sd(values: ArrayLike<number>, from: number, to: number): number {
  const n = to - from;
  const m = mean(values, from, to);
  let ss = 0;
  for (let i = from; i < to; i++) ss += (values[i]! - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/** EARS C1/C2/C3 over one series, one result per input period. */
export function earsC(observed: ArrayLike<number>, options: EarsOptions = {}): EarsPoint[] {
  const method = options.method ?? 'C1';
  const baseline = options.baseline ?? 7;
  const minSigma = options.minSigma ?? 0;
  const alpha = options.alpha ?? (method === 'C3' ? 0.025 : 0.001);
  if (minSigma < 0) throw new RangeError('EARS: the minimum sigma parameter (minSigma) needs to be positive');
  if (baseline < 3) throw new RangeError('EARS: minimum baseline to use is 3');
  const n = observed.length;
  const maxLag = method === 'C1' ? baseline : method === 'C2' ? baseline + 2 : baseline + 4;
  const [from, to] = options.range ?? [maxLag, n - 1];
  if (from - maxLag < 0) throw new RangeError('EARS: the vector of observed is too short');
  const z = qnorm(1 - alpha);
  const guard = method === 'C1' ? 0 : 2;
  // Reference window of period t: [t - guard - baseline, t - guard).
  const stats = (t: number) => {
    const lo = t - guard - baseline;
    return { m: mean(observed, lo, lo + baseline), s: sd(observed, lo, lo + baseline) };
  };
  const c2 = (t: number) => {
    const { m, s } = stats(t);
    return (observed[t]! - m) / Math.max(s, minSigma);
  };
  const out: EarsPoint[] = [];
  for (let t = 0; t < n; t++) {
    const y = observed[t]!;
    if (t < from || t > to) {
      out.push({ index: t, observed: y, threshold: null, alarm: null });
      continue;
    }
    let threshold: number;
    if (method === 'C3') {
      const { s } = stats(t);
      const lag2 = Math.max(0, c2(t - 2) - 1);
      const lag1 = Math.max(0, c2(t - 1) - 1);
      threshold = Math.max(0, y + Math.max(s, minSigma) * (z - (lag2 + lag1)));
    } else {
      const { m, s } = stats(t);
      threshold = m + z * Math.max(s, minSigma);
    }
    const valid = !Number.isNaN(threshold);
    out.push({ index: t, observed: y, threshold: valid ? threshold : null, alarm: valid ? y > threshold : null });
  }
  return out;
}
