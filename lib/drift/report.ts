import {
  baselineFromDays,
  EWMA_DEFAULT_L,
  EWMA_DEFAULT_LAMBDA,
  ewmaOfDailyMeans,
  familyLevels,
  pooledDays,
  selfZ,
  seriesWindow,
  type PeerComparison,
  type CalibrationBaseline,
  type DailySeries,
  type DriftLevel,
} from '../monitoring/calibration.js';
import { qnorm, studentTTwoSided } from '../monitoring/distributions.js';
import { ks2samp, type KsResult } from '../monitoring/ks.js';
import { benjaminiHochberg } from '../monitoring/multipleTesting.js';
import { populationStabilityIndex, psiLevel, PSI_DEFAULT_BINS, PSI_DEFAULT_EPSILON } from '../monitoring/psi.js';
import { sortFloat64 } from '../monitoring/sort.js';
import { rulesOf, type QcSeries } from './qc.js';
import type { DaySummary } from '../pipeline/analyteDays.js';
import { daysBetween } from '../calendar/days.js';

/**
 * The drift report of one baseline window against one current window (pure: inputs in, JSON out).
 *
 * Data drift: for each device feature (gold device_features, device-days) and each LOINC
 * analyte (silver result_value, sampled per day), the two-sample Kolmogorov-Smirnov test
 * (scipy's ks_2samp, method 'auto') and the PSI over 10 baseline-quantile bins (empty bins
 * floored at a share of 1e-4); the KS p-values of the whole family (features and analytes) are
 * corrected by Benjamini-Hochberg. A test drifts when its corrected p < `pValue`.
 *
 * Calibration drift, per device and LOINC analyte with a baseline (>= `minBaselineResults`
 * results on >= 3 days) and current results:
 * - self z: the current mean (pooled over the current days) against the device's own baseline
 *   (calibration.ts: `selfZ`, with the baseline's between-day SD);
 * - peer z: the current mean against the current means of the other devices measuring the analyte
 *   (at least 3 peers with >= `minCurrentResults` results), reported on the z scale of the
 *   |z| > 3 rule: with k peers, (mean - peer mean) / peer SD is a t statistic of k - 1 degrees of
 *   freedom once divided by sqrt(1 + 1/k) (a prediction interval), and its two-sided p-value is
 *   turned back into the normal z with that p (`peerEquivalentZ`); the raw ratio is `peer_z_raw`.
 *   Without it, with 5 peers a device is beyond |z| = 3 about 5% of the time with no drift at all.
 * - level (`criticalRule`): CRITICAL when |self z| or |peer z| > `criticalZ` (3) and that z-test's
 *   two-sided p-value survives Benjamini-Hochberg at `criticalFdr` (0.05) across the report's
 *   family of z-tests (every pair's self and peer test); a |z| > 3 that does not survive is
 *   WARNING, as is |z| > `warningZ` (2). The seed's |z| > 3 alone made 164 of 10,000 devices
 *   CRITICAL on a day when 10 were shifted (familyLevels in calibration.ts);
 * - moving average: an EWMA of the device's daily means over the current days, from the
 *   baseline mean (lambda 0.2, limits 3 sigma): the earlier signal, reported with the day it first
 *   left its limits.
 *
 * QC: Westgard multirules per device and test (qc.ts), runs of the current window reported when a
 * rejection rule trips (1-3s, 2-2s, R-4s, 4-1s, 10x); 1-2s warnings are counted.
 *
 * Levels (the seed's, with the multiplicity control above): CRITICAL when a device drifts; MEDIUM when `minTests` (3) or
 * more data-drift tests drift; LOW when only warnings (|z| > 2, moving-average alarms, QC
 * rejections); NONE otherwise.
 */
export type AlertLevel = 'NONE' | 'LOW' | 'MEDIUM' | 'CRITICAL';

export interface Window {
  readonly start: string;
  readonly end: string;
}

export interface DriftInputs {
  readonly baseline: Window;
  readonly current: Window;
  /** Feature samples (device-days) of the two windows, by feature name. */
  readonly features: ReadonlyMap<string, { readonly baseline: ArrayLike<number>; readonly current: ArrayLike<number> }>;
  /** Daily result summaries of the baseline days and of the current days, each in date order. */
  readonly baselineDays: readonly DaySummary[];
  readonly currentDays: readonly DaySummary[];
  /** QC series (runs up to the current end, with some history before the current start). */
  readonly qc: readonly QcSeries[];
  /** Display names of LOINC codes, when known. */
  readonly analyteNames?: ReadonlyMap<string, string>;
}

export interface DriftOptions {
  readonly criticalZ: number;
  /** False discovery rate a CRITICAL z-test must survive across the day's family. */
  readonly criticalFdr: number;
  readonly warningZ: number;
  readonly pValue: number;
  readonly minTests: number;
  readonly ewmaLambda: number;
  readonly ewmaL: number;
  readonly psiBins: number;
  readonly psiEpsilon: number;
  readonly minBaselineResults: number;
  readonly minCurrentResults: number;
  /** Smallest sample either side of a KS test. */
  readonly minSample: number;
}

export const DEFAULT_DRIFT_OPTIONS: DriftOptions = {
  criticalZ: 3,
  criticalFdr: 0.05,
  warningZ: 2,
  pValue: 0.05,
  minTests: 3,
  ewmaLambda: EWMA_DEFAULT_LAMBDA,
  ewmaL: EWMA_DEFAULT_L,
  psiBins: PSI_DEFAULT_BINS,
  psiEpsilon: PSI_DEFAULT_EPSILON,
  minBaselineResults: 20,
  minCurrentResults: 5,
  minSample: 10,
};

export interface DataDriftTest {
  readonly kind: 'feature' | 'analyte';
  readonly name: string;
  readonly display_name: string;
  readonly n_baseline: number;
  readonly n_current: number;
  readonly ks_statistic: number;
  readonly ks_pvalue: number;
  readonly ks_method: KsResult['method'];
  readonly ks_pvalue_adjusted: number;
  readonly psi: number;
  readonly psi_level: 'stable' | 'moderate' | 'major';
  readonly baseline_mean: number;
  readonly current_mean: number;
  readonly drift: boolean;
}

export interface CalibrationFinding {
  readonly device_id: string;
  readonly loinc_code: string;
  readonly analyte: string;
  readonly n_baseline: number;
  readonly baseline_mean: number;
  readonly baseline_sd: number;
  readonly n_current: number;
  readonly current_days: number;
  readonly current_mean: number;
  readonly self_z: number | null;
  /** Normal-equivalent peer z (see peerEquivalentZ); the |z| > 3 rule reads this one. */
  readonly peer_z: number | null;
  readonly peer_z_raw: number | null;
  readonly peers: number;
  /** Benjamini-Hochberg adjusted two-sided p-values of the self and peer z-tests over the day's family. */
  readonly self_p_adjusted: number | null;
  readonly peer_p_adjusted: number | null;
  readonly level: DriftLevel;
  readonly moving_average_alarm: boolean;
  readonly moving_average_z: number | null;
  /** First current day the moving average was outside its limits. */
  readonly moving_average_first_alarm: string | null;
}

export interface QcFinding {
  readonly device_id: string;
  readonly test_code: string;
  readonly loinc_code: string | null;
  readonly day: string;
  readonly rules: readonly string[];
  readonly z: readonly (number | null)[];
}

export interface DriftReport {
  readonly report: 'drift';
  readonly generated_at: string;
  readonly day: string;
  readonly alert_level: AlertLevel;
  readonly baseline: Window & { readonly days: number };
  readonly current: Window & { readonly days: number };
  readonly summary: {
    readonly devices_with_drift: number;
    readonly device_analytes_with_drift: number;
    readonly device_analytes_warning: number;
    readonly device_analytes_checked: number;
    readonly devices_checked: number;
    readonly moving_average_alarms: number;
    readonly data_drift_tests: number;
    readonly tests: number;
    readonly drifted_features: readonly string[];
    readonly drifted_analytes: readonly string[];
    readonly qc_series: number;
    readonly qc_runs: number;
    readonly qc_rejected_runs: number;
    readonly qc_warnings_12s: number;
    readonly devices_with_qc_rejections: number;
  };
  readonly thresholds: {
    /** The CRITICAL rule in words, with its figures. */
    readonly critical_rule: string;
    readonly critical_z: number;
    readonly critical_fdr: number;
    readonly warning_z: number;
    readonly ks_p_value: number;
    readonly min_drifting_tests: number;
    readonly correction: 'benjamini-hochberg';
    readonly psi_bins: number;
    readonly psi_epsilon: number;
    readonly ewma_lambda: number;
    readonly ewma_L: number;
  };
  readonly data_drift: readonly DataDriftTest[];
  /** Device/analyte pairs at WARNING or CRITICAL or with a moving-average alarm, worst first. */
  readonly calibration: readonly CalibrationFinding[];
  readonly qc: readonly QcFinding[];
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length > 0 ? s / values.length : NaN;
}

function concat(parts: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<number>, o);
    o += p.length;
  }
  return out;
}

/** The values in ascending order: KS and PSI find them sorted and skip their own sorts. */
function ascending(values: ArrayLike<number>): Float64Array {
  return sortFloat64(Float64Array.from(values));
}

const round = (v: number | null, digits = 6): number | null => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(digits)));

/**
 * Per (device|loinc): its daily summaries over `days`, each pair's series a view of three flat
 * arrays (pairs x days). Days list the same pairs in the same order as a rule, so row r of the
 * day before is tried first for row r; the maps are the fallback.
 */
export function dailyByPair(days: readonly DaySummary[]): Map<string, DailySeries> {
  const keys: string[] = [];
  // device -> loinc -> pair number: one key string per pair, not per pair-day.
  const index = new Map<string, Map<string, number>>();
  const pairOfRow = days.map((day) => new Int32Array(day.deviceAnalytes.length));
  days.forEach((day, i) => {
    const c = day.deviceAnalytes;
    const hint = i > 0 ? days[i - 1]!.deviceAnalytes : undefined;
    const pairs = pairOfRow[i]!;
    for (let r = 0; r < c.length; r++) {
      const device = c.device[r]!;
      const loinc = c.loinc[r]!;
      if (hint && hint.device[r] === device && hint.loinc[r] === loinc) {
        pairs[r] = pairOfRow[i - 1]![r]!;
        continue;
      }
      let byLoinc = index.get(device);
      if (!byLoinc) index.set(device, (byLoinc = new Map()));
      let pair = byLoinc.get(loinc);
      if (pair === undefined) {
        pair = keys.length;
        byLoinc.set(loinc, pair);
        keys.push(`${device}|${loinc}`);
      }
      pairs[r] = pair;
    }
  });
  const D = days.length;
  const n = new Float64Array(keys.length * D);
  const mean = new Float64Array(keys.length * D).fill(NaN);
  const sd = new Float64Array(keys.length * D).fill(NaN);
  days.forEach((day, i) => {
    const c = day.deviceAnalytes;
    const pairs = pairOfRow[i]!;
    for (let r = 0; r < c.length; r++) {
      const at = pairs[r]! * D + i;
      n[at] = c.n[r]!;
      mean[at] = c.mean[r]!;
      sd[at] = c.sd[r]!;
    }
  });
  const out = new Map<string, DailySeries>();
  const all: DailySeries = { length: keys.length * D, n, mean, sd };
  keys.forEach((key, pair) => out.set(key, seriesWindow(all, pair * D, (pair + 1) * D)));
  return out;
}

/**
 * The normal z with the same two-sided p-value as a device's raw peer z among `peers` peers
 * (prediction-interval t with peers - 1 degrees of freedom).
 */
export function peerEquivalentZ(rawZ: number, peers: number): number {
  if (!Number.isFinite(rawZ) || peers < 2) return NaN;
  const t = Math.abs(rawZ) / Math.sqrt(1 + 1 / peers);
  const p = studentTTwoSided(t, peers - 1);
  const z = p > 0 ? qnorm(p / 2, 0, 1, false) : t;
  return Math.sign(rawZ) * Math.min(z, t);
}

/**
 * `peerZ` (calibration.ts) of every device of an analyte against all the others, from running
 * sums instead of one pass over the peers per device (10,000 devices: O(n), not O(n^2)): peer
 * mean and sample SD of the k - 1 other means; null with fewer than 3 peers or a zero SD.
 */
export function leaveOneOutPeers(means: readonly number[], minPeers = 3): (PeerComparison | null)[] {
  const k = means.length;
  if (k - 1 < Math.max(2, minPeers)) return means.map(() => null);
  let shift = 0;
  for (const m of means) shift += m;
  shift /= k;
  let s1 = 0;
  let s2 = 0;
  for (const m of means) {
    s1 += m - shift;
    s2 += (m - shift) ** 2;
  }
  return means.map((x) => {
    const d = x - shift;
    const peers = k - 1;
    const mean = (s1 - d) / peers;
    const ss = s2 - d * d - peers * mean * mean;
    const sd = Math.sqrt(Math.max(0, ss) / (peers - 1));
    if (!(sd > 0)) return null;
    return { z: (d - mean) / sd, peerMean: mean + shift, peerSd: sd, peers };
  });
}

export interface PairCalibration {
  readonly device: string;
  readonly loinc: string;
  readonly baseline: CalibrationBaseline;
  readonly n: number;
  readonly days: number;
  readonly mean: number;
  readonly selfZ: number | null;
  readonly peerZ: number | null;
  readonly peerZRaw: number | null;
  readonly peers: number;
  readonly selfPAdjusted: number | null;
  readonly peerPAdjusted: number | null;
  readonly level: DriftLevel;
  readonly ewmaAlarm: boolean;
  readonly ewmaZ: number | null;
  /** Index (into the current days) of the first EWMA alarm; -1 when none. */
  readonly ewmaFirstAlarm: number;
}

/**
 * Calibration statistics of every device/analyte pair with enough baseline and current results.
 * `baseline` and `current` map pair keys to daily summaries of the two windows.
 */
export function calibrationOfPairs(
  baseline: ReadonlyMap<string, DailySeries>,
  current: ReadonlyMap<string, DailySeries>,
  options: DriftOptions = DEFAULT_DRIFT_OPTIONS,
): PairCalibration[] {
  const pooled = new Map<string, { device: string; loinc: string; n: number; mean: number; days: number }>();
  for (const [key, days] of current) {
    const { n, mean, days: withData } = pooledDays(days);
    if (n === 0) continue;
    const [device, loinc] = key.split('|') as [string, string];
    pooled.set(key, { device, loinc, n, mean, days: withData });
  }
  // Peer means per analyte: devices with enough current results.
  const peersOf = new Map<string, { keys: string[]; means: number[] }>();
  for (const [key, p] of pooled) {
    if (p.n < options.minCurrentResults) continue;
    let list = peersOf.get(p.loinc);
    if (!list) peersOf.set(p.loinc, (list = { keys: [], means: [] }));
    list.keys.push(key);
    list.means.push(p.mean);
  }
  const peerOf = new Map<string, PeerComparison | null>();
  for (const { keys, means } of peersOf.values()) leaveOneOutPeers(means).forEach((c, i) => peerOf.set(keys[i]!, c));
  const tested: Omit<PairCalibration, 'level' | 'selfPAdjusted' | 'peerPAdjusted'>[] = [];
  for (const [key, p] of pooled) {
    const base = baseline.get(key);
    if (!base) continue;
    const b = baselineFromDays(base);
    if (!(b.n >= options.minBaselineResults) || pooledDays(base).days < 3) continue;
    const peer = peerOf.get(key) ?? null;
    const ewma = ewmaOfDailyMeans(current.get(key)!, b, { lambda: options.ewmaLambda, L: options.ewmaL });
    const last = ewma[ewma.length - 1];
    tested.push({
      device: p.device,
      loinc: p.loinc,
      baseline: b,
      n: p.n,
      days: p.days,
      mean: p.mean,
      selfZ: selfZ({ mean: p.mean, n: p.n, days: p.days }, b),
      peerZ: peer ? peerEquivalentZ(peer.z, peer.peers) : null,
      peerZRaw: peer?.z ?? null,
      peers: peer?.peers ?? Math.max(0, (peersOf.get(p.loinc)?.means.length ?? 0) - 1),
      ewmaAlarm: last?.alarm ?? false,
      ewmaZ: last?.z ?? null,
      ewmaFirstAlarm: ewma.findIndex((e) => e.alarm),
    });
  }
  // One family: every pair's self test, then every pair's peer test.
  const levels = familyLevels([...tested.map((t) => t.selfZ), ...tested.map((t) => t.peerZ)], { criticalZ: options.criticalZ, warningZ: options.warningZ, fdr: options.criticalFdr });
  const rank: Record<DriftLevel, number> = { OK: 0, WARNING: 1, CRITICAL: 2 };
  return tested.map((t, i) => {
    const own = levels[i]!;
    const peer = levels[tested.length + i]!;
    // Assigned, not spread: 50,000 pairs of 16 fields.
    return Object.assign(t, { level: rank[own.level] >= rank[peer.level] ? own.level : peer.level, selfPAdjusted: own.pAdjusted, peerPAdjusted: peer.pAdjusted });
  });
}

/** The CRITICAL rule as the report states it. */
export function criticalRule(options: Pick<DriftOptions, 'criticalZ' | 'criticalFdr'>): string {
  return `|z| > ${options.criticalZ} (own baseline or peers) and the z-test's two-sided p-value below ${options.criticalFdr} after Benjamini-Hochberg across the day's device/analyte z-tests; a |z| > ${options.criticalZ} that does not survive the correction is WARNING`;
}

export function buildDriftReport(inputs: DriftInputs, options: DriftOptions = DEFAULT_DRIFT_OPTIONS, generatedAt = new Date()): DriftReport {
  const names = inputs.analyteNames ?? new Map<string, string>();

  // ---- data drift ---------------------------------------------------------------------------
  const samples: { kind: 'feature' | 'analyte'; name: string; baseline: ArrayLike<number>; current: ArrayLike<number> }[] = [];
  for (const [name, s] of inputs.features) samples.push({ kind: 'feature', name, baseline: s.baseline, current: s.current });
  const analyteSamples = (days: readonly DaySummary[]) => {
    const parts = new Map<string, Float64Array[]>();
    for (const day of days) for (const [loinc, values] of day.samples) parts.set(loinc, [...(parts.get(loinc) ?? []), values]);
    return new Map([...parts].map(([k, v]) => [k, concat(v)]));
  };
  const baseAnalytes = analyteSamples(inputs.baselineDays);
  const currentAnalytes = analyteSamples(inputs.currentDays);
  for (const [loinc, base] of [...baseAnalytes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cur = currentAnalytes.get(loinc);
    if (cur) samples.push({ kind: 'analyte', name: loinc, baseline: base, current: cur });
  }
  const tested = samples.filter((s) => s.baseline.length >= options.minSample && s.current.length >= options.minSample);
  // Each sample sorted once for both tests; the means below add the values in their own order.
  const sorted = tested.map((s) => ({ baseline: ascending(s.baseline), current: ascending(s.current) }));
  const ks = sorted.map((s) => ks2samp(s.baseline, s.current));
  const adjusted = benjaminiHochberg(ks.map((k) => (Number.isNaN(k.pvalue) ? null : k.pvalue)));
  const dataDrift: DataDriftTest[] = tested.map((s, i) => {
    const psi = populationStabilityIndex(sorted[i]!.baseline, sorted[i]!.current, { bins: options.psiBins, epsilon: options.psiEpsilon }).psi;
    const p = adjusted[i] ?? NaN;
    return {
      kind: s.kind,
      name: s.name,
      display_name: s.kind === 'analyte' ? (names.get(s.name) ?? s.name) : s.name,
      n_baseline: s.baseline.length,
      n_current: s.current.length,
      ks_statistic: ks[i]!.statistic,
      ks_pvalue: ks[i]!.pvalue,
      ks_method: ks[i]!.method,
      ks_pvalue_adjusted: p,
      psi,
      psi_level: psiLevel(psi),
      baseline_mean: mean(s.baseline),
      current_mean: mean(s.current),
      drift: p < options.pValue,
    };
  });
  const drifted = dataDrift.filter((t) => t.drift);

  // ---- calibration drift --------------------------------------------------------------------
  const pairs = calibrationOfPairs(dailyByPair(inputs.baselineDays), dailyByPair(inputs.currentDays), options);
  const worstZ = (p: PairCalibration) => Math.max(Math.abs(p.selfZ ?? 0), Math.abs(p.peerZ ?? 0));
  const flagged = pairs.filter((p) => p.level !== 'OK' || p.ewmaAlarm).sort((a, b) => worstZ(b) - worstZ(a));
  const calibration: CalibrationFinding[] = flagged.map((p) => ({
    device_id: p.device,
    loinc_code: p.loinc,
    analyte: names.get(p.loinc) ?? p.loinc,
    n_baseline: p.baseline.n,
    baseline_mean: round(p.baseline.mean)!,
    baseline_sd: round(p.baseline.sd)!,
    n_current: p.n,
    current_days: p.days,
    current_mean: round(p.mean)!,
    self_z: round(p.selfZ, 4),
    peer_z: round(p.peerZ, 4),
    peer_z_raw: round(p.peerZRaw, 4),
    peers: p.peers,
    self_p_adjusted: round(p.selfPAdjusted, 4),
    peer_p_adjusted: round(p.peerPAdjusted, 4),
    level: p.level,
    moving_average_alarm: p.ewmaAlarm,
    moving_average_z: round(p.ewmaZ, 4),
    moving_average_first_alarm: p.ewmaFirstAlarm >= 0 ? (inputs.currentDays[p.ewmaFirstAlarm]?.date ?? null) : null,
  }));
  const critical = pairs.filter((p) => p.level === 'CRITICAL');

  // ---- QC -------------------------------------------------------------------------------------
  const qc: QcFinding[] = [];
  let qcRuns = 0;
  let warnings = 0;
  for (const series of inputs.qc) {
    for (const run of series.runs) {
      if (run.day < inputs.current.start || run.day > inputs.current.end) continue;
      qcRuns++;
      if (run.result.warning12s) warnings++;
      if (run.result.reject) {
        qc.push({ device_id: series.device, test_code: series.testCode, loinc_code: series.loinc, day: run.day, rules: rulesOf(run.result), z: run.z.map((z) => round(z, 4)) });
      }
    }
  }

  const devicesWithDrift = new Set(critical.map((p) => p.device)).size;
  const warningsOnly = pairs.some((p) => p.level === 'WARNING' || p.ewmaAlarm) || qc.length > 0;
  const alertLevel: AlertLevel = devicesWithDrift > 0 ? 'CRITICAL' : drifted.length >= options.minTests ? 'MEDIUM' : warningsOnly || drifted.length > 0 ? 'LOW' : 'NONE';
  const dayCount = (w: Window) => daysBetween(w.start, w.end) + 1;
  return {
    report: 'drift',
    generated_at: generatedAt.toISOString(),
    day: inputs.current.end,
    alert_level: alertLevel,
    baseline: { ...inputs.baseline, days: dayCount(inputs.baseline) },
    current: { ...inputs.current, days: dayCount(inputs.current) },
    summary: {
      devices_with_drift: devicesWithDrift,
      device_analytes_with_drift: critical.length,
      device_analytes_warning: pairs.filter((p) => p.level === 'WARNING').length,
      device_analytes_checked: pairs.length,
      devices_checked: new Set(pairs.map((p) => p.device)).size,
      moving_average_alarms: pairs.filter((p) => p.ewmaAlarm).length,
      data_drift_tests: drifted.length,
      tests: dataDrift.length,
      drifted_features: drifted.filter((t) => t.kind === 'feature').map((t) => t.name),
      drifted_analytes: drifted.filter((t) => t.kind === 'analyte').map((t) => t.display_name),
      qc_series: inputs.qc.length,
      qc_runs: qcRuns,
      qc_rejected_runs: qc.length,
      qc_warnings_12s: warnings,
      devices_with_qc_rejections: new Set(qc.map((q) => q.device_id)).size,
    },
    thresholds: {
      critical_rule: criticalRule(options),
      critical_z: options.criticalZ,
      critical_fdr: options.criticalFdr,
      warning_z: options.warningZ,
      ks_p_value: options.pValue,
      min_drifting_tests: options.minTests,
      correction: 'benjamini-hochberg',
      psi_bins: options.psiBins,
      psi_epsilon: options.psiEpsilon,
      ewma_lambda: options.ewmaLambda,
      ewma_L: options.ewmaL,
    },
    data_drift: dataDrift,
    calibration,
    qc,
  };
}
