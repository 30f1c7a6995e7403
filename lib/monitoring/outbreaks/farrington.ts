/**
 * Farrington flexible outbreak detection as R surveillance's `farringtonFlexible` (1.20,
 * Noufaily et al. 2013's generalisation of Farrington et al. 1996), with that function's defaults:
 * b = 5 years back, w = 3 periods either side of each reference period, reweight = TRUE
 * (weightsThreshold 2.58), trend = TRUE (kept when its t-test p < pThresholdTrend = 0.05, b >= 3 and
 * the prediction does not extrapolate above the largest baseline count), alpha = 0.05,
 * limit54 = (5, 4) (no upper bound, no alarm, unless >= 5 cases in the last 4 periods),
 * powertrans = '2/3', populationOffset = FALSE, noPeriods = 1, pastWeeksNotIncluded = w,
 * thresholdMethod = 'delta'.
 *
 * For each period k of the range (default: from freq * b + w + 1, 1-based, to the end):
 * 1. reference periods k - freq*i (i = 0..b), or with dates the same date i years back (for
 *    weekly data moved to the nearest same weekday), exactly as algo.farrington.referencetimepoints;
 * 2. baseline = periods within w of a reference period (and, with noPeriods > 1, the rest split
 *    into noPeriods - 1 seasonal blocks), minus the last pastWeeksNotIncluded + 1 periods;
 * 3. quasi-Poisson log-linear GLM y ~ 1 + t (+ seasonal factor) fitted by R's IRLS (see ../glm.ts);
 *    phi = max(dispersion, 1); Anscombe residuals s_i = 3/2 (y^(2/3) mu^(-1/6) - mu^(1/2)) /
 *    sqrt(phi (1 - h_i)); weights gamma * s^-2 where s > 2.58, else gamma, gamma normalising them to
 *    sum n; refit; phi again;
 * 4. trend test on the reweighted fit; refit without trend when it fails;
 * 5. threshold ('delta', 2/3 power): mu0 = predicted mean, tau = phi + se(mu0)^2 / mu0,
 *    upper = (mu0^(2/3) + z_(1-alpha) sqrt(4/9 mu0^(1/3) tau))^(3/2);
 *    score = (y - mu0) / (upper - mu0); alarm = enough cases and score > 1 and y != 0.
 *
 * Agreement with R: thresholds within 1e-9 relative on the fixtures (the IRLS is R's, step for
 * step; only floating-point rounding in the least-squares solve differs), alarms identical.
 */
import { fitQuasiPoissonLog } from '../glm.js';
import { pnbinom, pnorm, ppois, qnbinom, qnorm, qpois, studentTTwoSided } from '../distributions.js';
import { DAY_MS } from '../../calendar/days.js';

export interface FarringtonOptions {
  /** Periods per year: 52 (weekly), 365 (daily) or 12 (monthly). Default 52. */
  readonly freq?: number;
  /** Years back. Default 5. */
  readonly b?: number;
  /** Half-width of the window around each reference period. Default 3. */
  readonly w?: number;
  readonly reweight?: boolean;
  readonly weightsThreshold?: number;
  readonly alpha?: number;
  readonly trend?: boolean;
  readonly pThresholdTrend?: number;
  /** [cases, periods]: at least `cases` in the last `periods` periods for a threshold. Default [5, 4]. */
  readonly limit54?: readonly [number, number];
  readonly powertrans?: '2/3' | '1/2' | 'none';
  readonly populationOffset?: boolean;
  /** Seasonal factor levels (1 = no factor). Default 1. */
  readonly noPeriods?: number;
  /** Recent periods left out of the baseline besides the current one. Default w. */
  readonly pastWeeksNotIncluded?: number;
  /**
   * 'delta' (default): normal approximation on the power-transformed scale (Farrington 1996).
   * 'nbPlugin': (1 - alpha) quantile of a negative binomial with mean exp(eta0) and dispersion phi
   * (Poisson when phi = 1); 'muan': the same with the mean exp(qnorm(1 - alpha, eta0, se(eta0)))
   * (Noufaily et al. 2013). As surveillance, the score of these two is (y - eta0) / (upper - eta0)
   * with eta0 on the log scale.
   */
  readonly thresholdMethod?: 'delta' | 'nbPlugin' | 'muan';
  /** 0-based first and last index to evaluate (inclusive). Default [freq*b + w, n - 1]. */
  readonly range?: readonly [number, number];
}

export interface FarringtonInput {
  readonly observed: ArrayLike<number>;
  /** ISO dates (YYYY-MM-DD) of the periods, equally spaced; without them periods are indices (epochAsDate = FALSE). */
  readonly dates?: readonly string[];
  /** Population per period, needed with populationOffset. */
  readonly population?: ArrayLike<number>;
}

export interface FarringtonPoint {
  readonly index: number;
  readonly observed: number;
  /** Upper bound; null when the model could not be fitted or there were too few cases (limit54). */
  readonly threshold: number | null;
  /** null when the point was not evaluated (outside the range, or no model). */
  readonly alarm: boolean | null;
  /** Predicted count mu0; null when the threshold is null. */
  readonly expected: number | null;
  readonly score: number | null;
  /** Upper-tail probability of the observed count under the (transformed) normal approximation. */
  readonly pvalue: number | null;
  readonly phi: number | null;
  /** Whether the time trend was kept. */
  readonly trend: boolean | null;
}

function epochDay(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`farrington: not an ISO date: ${iso}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

/** R's seq(date, by = "-1 year")[i]: same month and day i years back, normalised like POSIXlt (29 Feb -> 1 Mar). */
function yearsBack(day: number, years: number): number {
  const d = new Date(day * DAY_MS);
  return Date.UTC(d.getUTCFullYear() - years, d.getUTCMonth(), d.getUTCDate()) / DAY_MS;
}

/** R's format(date, "%w"): 0 = Sunday. */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** algo.farrington.referencetimepoints: 0-based indices of the b + 1 reference periods, or null when one is missing. */
function referenceIndices(k: number, b: number, freq: number, days: readonly number[] | null, dayIndex: Map<number, number> | null): number[] | null {
  const out: number[] = [];
  if (!days || !dayIndex) {
    for (let i = 0; i <= b; i++) {
      const r = k - i * freq;
      if (r < 0) return null;
      out.push(r);
    }
    return out;
  }
  const now = days[k]!;
  for (let i = 0; i <= b; i++) {
    let ref = yearsBack(now, i);
    if (freq === 52) {
      const a = ref - (weekday(ref) - weekday(now));
      const bb = a + (a > ref ? -7 : 7);
      ref = Math.abs(a - ref) > Math.abs(bb - ref) ? bb : a;
    }
    const idx = dayIndex.get(ref);
    if (idx === undefined) return null;
    out.push(idx);
  }
  return out;
}

/** surveillance's blocks(): factor level per period (NaN = not in the baseline), 0-based. */
function blockFactors(n: number, k: number, refs: readonly number[], b: number, w: number, p: number): Float64Array {
  const f = new Float64Array(n).fill(NaN);
  const set = (from: number, to: number, v: number) => {
    // R's from:to, descending when to < from.
    const step = to >= from ? 1 : -1;
    for (let i = from; step > 0 ? i <= to : i >= to; i += step) if (i >= 0 && i < n) f[i] = v;
  };
  set(k - w, k, p);
  // referenceWeeks: positions of the reference periods, latest first.
  const referenceWeeks = [...refs].sort((x, y) => y - x);
  for (let i = 1; i <= b; i++) {
    const refWeek = referenceWeeks[i]!;
    set(refWeek - w, refWeek + w, p);
    if (p !== 1) {
      const period = referenceWeeks[i - 1]! - 2 * w - 1 - refWeek;
      if (period < p - (2 * w + 1)) throw new RangeError('farrington: number of factors too big');
      const lengthOfBlocks = Math.floor(period / (p - 1));
      const rest = period % (p - 1);
      const lengths = [0];
      for (let j = 1; j <= p - 1; j++) lengths.push(lengthOfBlocks + (j <= rest ? 1 : 0));
      const cum: number[] = [];
      let s = 0;
      for (const l of lengths) cum.push((s += l));
      for (let j = 1; j <= p - 1; j++) set(refWeek + w + 1 + cum[j - 1]!, refWeek + w + 1 + cum[j]! - 1, j);
    }
  }
  return f;
}

interface ModelFit {
  coefficients: Float64Array;
  covUnscaled: Float64Array;
  /** The dispersion summary.glm reports for the returned model (see fitFlexible). */
  dispersion: number;
  dfResidual: number;
  phi: number;
}

function fitFlexible(
  design: number[][],
  y: number[],
  offset: number[] | undefined,
  reweight: boolean,
  weightsThreshold: number,
): ModelFit | null {
  let fit = fitQuasiPoissonLog(design, y, offset ? { offset } : {});
  if (!fit.converged) return null;
  let phi = Math.max(fit.dispersion, 1);
  if (reweight) {
    const n = y.length;
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const mu = fit.fitted[i]!;
      s[i] = (1.5 * (y[i]! ** (2 / 3) * mu ** (-1 / 6) - mu ** 0.5)) / Math.sqrt(phi * (1 - fit.hat[i]!));
    }
    let denom = 0;
    for (let i = 0; i < n; i++) denom += s[i]! > weightsThreshold ? s[i]! ** -2 : 1;
    const gamma = n / denom;
    const omega = new Float64Array(n);
    for (let i = 0; i < n; i++) omega[i] = s[i]! > weightsThreshold ? gamma * s[i]! ** -2 : gamma;
    fit = fitQuasiPoissonLog(design, y, offset ? { offset, weights: omega } : { weights: omega });
    phi = Math.max(fit.dispersion, 1);
    // surveillance then stores the reweighting weights as the model's `weights`, so every later
    // summary.glm (the trend test) and predict.glm (the prediction's standard error) estimates the
    // dispersion as sum(omega * r^2) / df with the working residuals r = (y - mu) / mu. Kept as is.
    let quirk = 0;
    for (let i = 0; i < n; i++) if (omega[i]! > 0) quirk += omega[i]! * fit.workingResiduals[i]! ** 2;
    return { coefficients: fit.coefficients, covUnscaled: fit.covUnscaled, dispersion: quirk / fit.dfResidual, dfResidual: fit.dfResidual, phi };
  }
  return { coefficients: fit.coefficients, covUnscaled: fit.covUnscaled, dispersion: fit.dispersion, dfResidual: fit.dfResidual, phi };
}

/** Prediction on the link scale and its standard error (predict.glm with the estimated dispersion). */
function predictLink(model: ModelFit, x0: readonly number[], offset0: number): { eta: number; se: number } {
  const p = x0.length;
  let eta = offset0;
  for (let j = 0; j < p; j++) eta += x0[j]! * model.coefficients[j]!;
  let v = 0;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) v += x0[i]! * model.covUnscaled[i * p + j]! * x0[j]!;
  return { eta, se: Math.sqrt(v * model.dispersion) };
}

/** Farrington flexible over one series; one result per input period (null/unevaluated outside the range). */
export function farringtonFlexible(input: FarringtonInput, options: FarringtonOptions = {}): FarringtonPoint[] {
  const y = input.observed;
  const n = y.length;
  const freq = options.freq ?? 52;
  const b = options.b ?? 5;
  const w = options.w ?? 3;
  const reweight = options.reweight ?? true;
  const weightsThreshold = options.weightsThreshold ?? 2.58;
  const alpha = options.alpha ?? 0.05;
  const useTrend = options.trend ?? true;
  const pThresholdTrend = options.pThresholdTrend ?? 0.05;
  const limit54 = options.limit54 ?? [5, 4];
  const powertrans = options.powertrans ?? '2/3';
  const populationOffset = options.populationOffset ?? false;
  const noPeriods = options.noPeriods ?? 1;
  const pastWeeksNotIncluded = options.pastWeeksNotIncluded ?? w;
  const thresholdMethod = options.thresholdMethod ?? 'delta';
  const [from, to] = options.range ?? [freq * b + w, n - 1];
  if (!(limit54[0] >= 0 && limit54[1] > 0)) throw new RangeError('farrington: limit54 out of bounds (cases >= 0 and period > 0)');
  if (populationOffset && !input.population) throw new RangeError('farrington: populationOffset needs a population');
  for (let i = 0; i < n; i++) if (y[i]! < 0) throw new RangeError(`farrington: observed count ${i} is negative`);
  let days: number[] | null = null;
  let dayIndex: Map<number, number> | null = null;
  if (input.dates) {
    if (input.dates.length !== n) throw new RangeError('farrington: dates and observed differ in length');
    if (![52, 365, 12].includes(freq)) throw new RangeError('farrington: with dates, freq must be 52, 365 or 12');
    days = input.dates.map(epochDay);
    dayIndex = new Map(days.map((d, i) => [d, i]));
  }
  const zAlpha = qnorm(1 - alpha);
  const out: FarringtonPoint[] = [];
  const empty = (i: number): FarringtonPoint => ({
    index: i,
    observed: y[i]!,
    threshold: null,
    alarm: null,
    expected: null,
    score: null,
    pvalue: null,
    phi: null,
    trend: null,
  });
  for (let k = 0; k < n; k++) {
    if (k < from || k > to) {
      out.push(empty(k));
      continue;
    }
    const refs = referenceIndices(k, b, freq, days, dayIndex);
    if (!refs) {
      out.push(empty(k));
      continue;
    }
    const factors = blockFactors(n, k, refs, b, w, noPeriods);
    for (let i = Math.max(0, k - pastWeeksNotIncluded); i <= k; i++) factors[i] = NaN;
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (!Number.isNaN(factors[i]!) && !Number.isNaN(y[i]!)) idx.push(i);
    if (idx.length === 0) {
      out.push(empty(k));
      continue;
    }
    // Time covariate: the 1-based period number, or periods since the first baseline date.
    const blockIdx: number[] = [];
    for (let i = 0; i < n; i++) if (!Number.isNaN(factors[i]!)) blockIdx.push(i);
    const firstDay = days ? days[blockIdx[0]!]! : 0;
    const step = days ? days[1]! - days[0]! : 1;
    const wtimeOf = (i: number) => (days ? (days[i]! - firstDay) / step : i + 1);
    const levels = noPeriods !== 1 ? [...new Set(idx.map((i) => factors[i]!))].sort((a, c) => a - c) : [];
    const buildRow = (wtime: number, level: number, withTrend: boolean): number[] => {
      const row = [1];
      if (withTrend) row.push(wtime);
      for (let l = 1; l < levels.length; l++) row.push(level === levels[l] ? 1 : 0);
      return row;
    };
    const yy = idx.map((i) => y[i]!);
    const offset = populationOffset ? idx.map((i) => Math.log(input.population![i]!)) : undefined;
    const offsetNow = populationOffset ? Math.log(input.population![k]!) : 0;
    const fitWith = (withTrend: boolean): { model: ModelFit; withTrend: boolean } | null => {
      const design = idx.map((i) => buildRow(wtimeOf(i), factors[i]!, withTrend));
      let model: ModelFit | null;
      try {
        model = fitFlexible(design, yy, offset, reweight, weightsThreshold);
      } catch {
        model = null;
      }
      if (model) return { model, withTrend };
      // algo.farrington.fitGLM.flexible retries without the trend when the fit does not converge.
      return withTrend ? fitWith(false) : null;
    };
    let fitted = fitWith(useTrend);
    let doTrend = false;
    const wNow = wtimeOf(k);
    if (fitted && fitted.withTrend) {
      const pred = predictLink(fitted.model, buildRow(wNow, noPeriods, true), offsetNow);
      const mu0 = Math.max(Math.exp(pred.eta), Number.EPSILON);
      const seTrend = Math.sqrt(fitted.model.dispersion * fitted.model.covUnscaled[1 * (fitted.model.coefficients.length + 1)]!);
      const pTrend = studentTTwoSided(fitted.model.coefficients[1]! / seTrend, fitted.model.dfResidual);
      const significant = pTrend < pThresholdTrend;
      const noExtrapolation = mu0 <= Math.max(...yy);
      doTrend = b >= 3 && significant && noExtrapolation;
      if (!doTrend) fitted = fitWith(false);
    }
    if (!fitted) {
      out.push(empty(k));
      continue;
    }
    const { model } = fitted;
    const pred = predictLink(model, buildRow(wNow, noPeriods, fitted.withTrend), offsetNow);
    const phi = model.phi;
    const yk = y[k]!;
    let upper: number;
    let pvalue: number;
    let score: number;
    let mu0: number;
    if (thresholdMethod === 'delta') {
      mu0 = Math.max(Math.exp(pred.eta), Number.EPSILON);
      const seMu0 = pred.se * mu0;
      const tau = phi + seMu0 ** 2 / mu0;
      let se: number;
      let exponent: number;
      if (powertrans === 'none') {
        se = Math.sqrt(mu0 * tau);
        exponent = 1;
      } else if (powertrans === '1/2') {
        se = Math.sqrt(0.25 * tau);
        exponent = 0.5;
      } else {
        se = Math.sqrt((4 / 9) * mu0 ** (1 / 3) * tau);
        exponent = 2 / 3;
      }
      upper = (mu0 ** exponent + zAlpha * se) ** (1 / exponent);
      pvalue = pnorm(yk ** exponent, mu0 ** exponent, se, false);
      score = (yk - mu0) / (upper - mu0);
    } else {
      // algo.farrington.threshold.noufaily, on the link-scale prediction.
      mu0 = Math.exp(pred.eta);
      const mu0Quantile = thresholdMethod === 'nbPlugin' ? Math.exp(pred.eta) : Math.exp(qnorm(1 - alpha, pred.eta, pred.se));
      if (mu0Quantile === Infinity) {
        upper = NaN;
        pvalue = NaN;
      } else if (phi > 1) {
        upper = qnbinom(1 - alpha, mu0Quantile / (phi - 1), 1 / phi);
        pvalue = pnbinom(yk - 1, mu0Quantile / (phi - 1), 1 / phi, false);
      } else {
        upper = qpois(1 - alpha, mu0Quantile);
        pvalue = ppois(yk - 1, mu0Quantile, false);
      }
      score = Number.isNaN(upper) ? NaN : (yk - pred.eta) / (upper - pred.eta);
    }
    let recent = 0;
    for (let i = Math.max(0, k - limit54[1] + 1); i <= k; i++) recent += y[i]!;
    const enoughCases = recent >= limit54[0];
    out.push({
      index: k,
      observed: yk,
      threshold: enoughCases && !Number.isNaN(upper) ? upper : null,
      alarm: enoughCases && score > 1 && yk !== 0,
      expected: enoughCases && !Number.isNaN(upper) ? mu0 : null,
      score: Number.isNaN(score) ? null : score,
      pvalue: Number.isNaN(pvalue) ? null : pvalue,
      phi,
      trend: doTrend,
    });
  }
  return out;
}
