import { pnorm } from './distributions.js';
import { benjaminiHochberg } from './multipleTesting.js';

/**
 * Calibration drift of one device on one analyte, from its patient results.
 *
 * Three signals:
 * 1. Self z-score: the current mean against the device's own baseline,
 *      z = (mean - baseline.mean) / sqrt(sd^2 / n + betweenDaySd^2 / days + sd^2 / baseline.n),
 *    i.e. a two-sample z-test of means with the baseline SD of individual results, plus the
 *    between-day variance of a mean over `days` days (0 unless estimated, see `baselineFromDays`).
 * 2. Peer z-score: the device's mean against the means of peer devices measuring the same analyte
 *    over the same period, z = (mean - mean(peers)) / sd(peers) (sample SD over the peers, the
 *    device itself excluded), null with fewer than `minPeers` (3) peers or a zero peer SD.
 * 3. Patient-based moving average: an EWMA of the daily means (Lucas & Saccucci 1990; PBRTQC),
 *      E_0 = baseline.mean,  E_t = lambda * mean_t + (1 - lambda) * E_{t-1},
 *      V_0 = 0,              V_t = lambda^2 * (sd^2 / n_t + betweenDaySd^2) + (1 - lambda)^2 * V_{t-1},
 *    exact variance for unequal daily counts; alarm when |E_t - baseline.mean| > L * sqrt(V_t),
 *    lambda = 0.2 and L = 3 by default. Days without results leave E and V unchanged. No reset
 *    after an alarm: the chart stays in alarm while the shift lasts. Averaging over days makes it
 *    the earlier signal for small sustained shifts that a single day's z does not reach.
 * Levels of one test: CRITICAL when |z| > 3 (the seed's rule), WARNING when |z| > 2, else OK
 * (`driftLevel`, `calibrationDrift`). Over a day's family of device/analyte tests the report uses
 * `familyLevels`, which adds multiplicity control to CRITICAL.
 */

export interface CalibrationBaseline {
  readonly mean: number;
  /** SD of individual results in the baseline period. */
  readonly sd: number;
  /** Number of results in the baseline period. */
  readonly n: number;
  /** SD of the true daily mean around the baseline mean (case mix); default 0. */
  readonly betweenDaySd?: number;
}

export interface DailySummary {
  readonly n: number;
  readonly mean: number;
  /** Sample SD of the day's results (NaN or absent when n < 2). */
  readonly sd?: number;
}

/**
 * A device/analyte's daily summaries over consecutive days, laid out flat: day i is n[i],
 * mean[i], sd[i], with n 0 on a day without results (10,000 devices x 5 analytes x 35 days is
 * 1.75M pair-days: columns, not an object each).
 */
export interface DailySeries {
  readonly length: number;
  readonly n: Float64Array;
  readonly mean: Float64Array;
  readonly sd: Float64Array;
}

/** Days `from` (inclusive) to `to` (exclusive) of a series, as views. */
export function seriesWindow(series: DailySeries, from: number, to: number): DailySeries {
  return { length: to - from, n: series.n.subarray(from, to), mean: series.mean.subarray(from, to), sd: series.sd.subarray(from, to) };
}

/** The flat series of per-day summaries (null: no results that day). */
export function dailySeries(days: ReadonlyArray<DailySummary | null>): DailySeries {
  return {
    length: days.length,
    n: Float64Array.from(days, (d) => d?.n ?? 0),
    mean: Float64Array.from(days, (d) => d?.mean ?? NaN),
    sd: Float64Array.from(days, (d) => d?.sd ?? NaN),
  };
}

export type DriftLevel = 'OK' | 'WARNING' | 'CRITICAL';

export const CRITICAL_Z = 3;
export const WARNING_Z = 2;

export function driftLevel(z: number | null, critical = CRITICAL_Z, warning = WARNING_Z): DriftLevel {
  if (z === null || Number.isNaN(z)) return 'OK';
  const a = Math.abs(z);
  return a > critical ? 'CRITICAL' : a > warning ? 'WARNING' : 'OK';
}

/** Two-sided p-value of a z statistic under the standard normal. */
export function zTestPValue(z: number): number {
  return 2 * pnorm(-Math.abs(z));
}

export interface FamilyOptions {
  readonly criticalZ: number;
  readonly warningZ: number;
  /** False discovery rate CRITICAL must survive (Benjamini-Hochberg). */
  readonly fdr: number;
}

export interface FamilyLevel {
  readonly level: DriftLevel;
  /** Benjamini-Hochberg adjusted two-sided p-value; null for a missing z. */
  readonly pAdjusted: number | null;
}

/**
 * Levels of a family of calibration z-tests judged together (a day's device/analyte tests, own
 * baseline and peers). |z| > `criticalZ` alone is not enough for CRITICAL: across 10,000 devices
 * x 5 analytes about 0.27% of the null tests pass it by chance (over a hundred devices a day), so
 * CRITICAL also needs the test's two-sided p-value to survive Benjamini-Hochberg at `fdr` over the
 * family. A |z| > `criticalZ` that does not survive is WARNING - reported, never dropped - as is
 * any |z| > `warningZ`. Missing z-tests (null or NaN) are OK and do not count in the family.
 */
export function familyLevels(z: readonly (number | null)[], options: FamilyOptions): FamilyLevel[] {
  const adjusted = benjaminiHochberg(z.map((v) => (v === null || Number.isNaN(v) ? null : zTestPValue(v))));
  return z.map((v, i) => {
    const pAdjusted = adjusted[i] ?? null;
    const raw = driftLevel(v, options.criticalZ, options.warningZ);
    return { level: raw === 'CRITICAL' && !isCriticalZ(v, pAdjusted, options) ? 'WARNING' : raw, pAdjusted };
  });
}

/** The CRITICAL rule for one z-test, given its p-value adjusted over the family (see familyLevels). */
export function isCriticalZ(z: number | null, pAdjusted: number | null, options: Pick<FamilyOptions, 'criticalZ' | 'fdr'>): boolean {
  return z !== null && Math.abs(z) > options.criticalZ && pAdjusted !== null && pAdjusted < options.fdr;
}

/** Mean, sample SD and count of raw values. */
export function summarize(values: ArrayLike<number>): { n: number; mean: number; sd: number } {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, sd: NaN };
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i]!;
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return { n, mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN };
}

/** The days with results of a series pooled: results, their mean, days, and the mean of the daily means. */
export function pooledDays(series: DailySeries): { n: number; mean: number; days: number; meanOfDailyMeans: number } {
  let n = 0;
  let sum = 0;
  let days = 0;
  let sumOfMeans = 0;
  for (let i = 0; i < series.length; i++) {
    if (!(series.n[i]! > 0)) continue;
    n += series.n[i]!;
    sum += series.n[i]! * series.mean[i]!;
    days++;
    sumOfMeans += series.mean[i]!;
  }
  return { n, mean: sum / n, days, meanOfDailyMeans: sumOfMeans / days };
}

/**
 * Baseline from daily summaries: pooled mean and SD of all results, and the between-day SD by
 * the method of moments, betweenDaySd^2 = max(0, var(daily means) - mean(within-day SD^2 / n_d)).
 */
export function baselineFromDays(days: DailySeries): CalibrationBaseline {
  const { n, mean, days: present, meanOfDailyMeans: meanOfMeans } = pooledDays(days);
  // Total sum of squares = within-day + between-day parts.
  let ss = 0;
  let withinVarOfMeans = 0;
  let withinDays = 0;
  let ssMeans = 0;
  for (let i = 0; i < days.length; i++) {
    const dn = days.n[i]!;
    if (!(dn > 0)) continue;
    const dsd = days.sd[i]!;
    const known = !Number.isNaN(dsd);
    ss += (dn - 1) * (known ? dsd * dsd : 0) + dn * (days.mean[i]! - mean) ** 2;
    if (dn > 1 && known) {
      withinVarOfMeans += (dsd * dsd) / dn;
      withinDays++;
    }
    ssMeans += (days.mean[i]! - meanOfMeans) ** 2;
  }
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : NaN;
  let betweenDaySd = 0;
  if (present > 1) {
    const varMeans = ssMeans / (present - 1);
    const expectedWithin = withinDays > 0 ? withinVarOfMeans / withinDays : 0;
    betweenDaySd = Math.sqrt(Math.max(0, varMeans - expectedWithin));
  }
  return { mean, sd, n, betweenDaySd };
}

/** z of a current mean (over `days` days) against the device's own baseline; null when undefined. */
export function selfZ(current: { readonly mean: number; readonly n: number; readonly days?: number }, baseline: CalibrationBaseline): number | null {
  if (!(current.n > 0) || !(baseline.n > 0) || !(baseline.sd >= 0)) return null;
  const tau = baseline.betweenDaySd ?? 0;
  const variance = baseline.sd ** 2 / current.n + tau ** 2 / (current.days ?? 1) + baseline.sd ** 2 / baseline.n;
  if (!(variance > 0)) return null;
  return (current.mean - baseline.mean) / Math.sqrt(variance);
}

export interface PeerComparison {
  readonly z: number;
  readonly peerMean: number;
  readonly peerSd: number;
  readonly peers: number;
}

/** z of the device's mean against peer devices' means (the device itself not among `peerMeans`). */
export function peerZ(deviceMean: number, peerMeans: readonly number[], minPeers = 3): PeerComparison | null {
  const peers = peerMeans.filter((m) => Number.isFinite(m));
  if (peers.length < Math.max(2, minPeers)) return null;
  const s = summarize(peers);
  if (!(s.sd > 0)) return null;
  return { z: (deviceMean - s.mean) / s.sd, peerMean: s.mean, peerSd: s.sd, peers: peers.length };
}

export interface EwmaOptions {
  /** Smoothing weight of the newest day. Default 0.2. */
  readonly lambda?: number;
  /** Control limit width in EWMA standard deviations. Default 3. */
  readonly L?: number;
}

export interface EwmaPoint {
  readonly ewma: number;
  /** Standard deviation of the EWMA under no drift (0 before the first day with results). */
  readonly sigma: number;
  readonly lower: number;
  readonly upper: number;
  /** (ewma - baseline mean) / sigma; null before the first day with results. */
  readonly z: number | null;
  readonly alarm: boolean;
}

export const EWMA_DEFAULT_LAMBDA = 0.2;
export const EWMA_DEFAULT_L = 3;

/** EWMA of daily means against the baseline; one point per day (null days carry the chart over). */
export function ewmaOfDailyMeans(days: DailySeries, baseline: CalibrationBaseline, options: EwmaOptions = {}): EwmaPoint[] {
  const lambda = options.lambda ?? EWMA_DEFAULT_LAMBDA;
  const L = options.L ?? EWMA_DEFAULT_L;
  if (!(lambda > 0 && lambda <= 1)) throw new RangeError('EWMA: lambda must be in (0, 1]');
  const tau2 = (baseline.betweenDaySd ?? 0) ** 2;
  let e = baseline.mean;
  let v = 0;
  const out: EwmaPoint[] = [];
  for (let i = 0; i < days.length; i++) {
    const dn = days.n[i]!;
    const dmean = days.mean[i]!;
    if (dn > 0 && Number.isFinite(dmean)) {
      e = lambda * dmean + (1 - lambda) * e;
      v = lambda * lambda * (baseline.sd ** 2 / dn + tau2) + (1 - lambda) ** 2 * v;
    }
    const sigma = Math.sqrt(v);
    const z = sigma > 0 ? (e - baseline.mean) / sigma : null;
    out.push({ ewma: e, sigma, lower: baseline.mean - L * sigma, upper: baseline.mean + L * sigma, z, alarm: z !== null && Math.abs(z) > L });
  }
  return out;
}

export interface CalibrationDay extends DailySummary {
  /** Same-day means of peer devices on the same analyte (this device excluded). */
  readonly peerMeans?: readonly number[];
}

export interface CalibrationDayResult {
  readonly day: number;
  readonly n: number;
  readonly mean: number | null;
  readonly selfZ: number | null;
  readonly peer: PeerComparison | null;
  /** The worse of the self and peer levels. */
  readonly level: DriftLevel;
  readonly ewma: EwmaPoint;
  /** level is CRITICAL or the EWMA is in alarm. */
  readonly alarm: boolean;
}

export interface CalibrationOptions extends EwmaOptions {
  readonly criticalZ?: number;
  readonly warningZ?: number;
  readonly minPeers?: number;
}

/** Per-day calibration-drift statistics and alarms of one device and analyte. */
export function calibrationDrift(days: ReadonlyArray<CalibrationDay | null>, baseline: CalibrationBaseline, options: CalibrationOptions = {}): CalibrationDayResult[] {
  const critical = options.criticalZ ?? CRITICAL_Z;
  const warning = options.warningZ ?? WARNING_Z;
  const ewma = ewmaOfDailyMeans(dailySeries(days), baseline, options);
  const rank: Record<DriftLevel, number> = { OK: 0, WARNING: 1, CRITICAL: 2 };
  return days.map((d, day) => {
    const has = d !== null && d.n > 0 && Number.isFinite(d.mean);
    const z = has ? selfZ({ mean: d.mean, n: d.n }, baseline) : null;
    const peer = has && d.peerMeans ? peerZ(d.mean, d.peerMeans, options.minPeers ?? 3) : null;
    const a = driftLevel(z, critical, warning);
    const b = driftLevel(peer?.z ?? null, critical, warning);
    const level = rank[a] >= rank[b] ? a : b;
    const e = ewma[day]!;
    return { day, n: has ? d.n : 0, mean: has ? d.mean : null, selfZ: z, peer, level, ewma: e, alarm: level === 'CRITICAL' || e.alarm };
  });
}
