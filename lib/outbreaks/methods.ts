import { cusum } from '../monitoring/outbreaks/cusum.js';
import { earsC, type EarsMethod } from '../monitoring/outbreaks/ears.js';
import { farringtonFlexible } from '../monitoring/outbreaks/farrington.js';
import { positivityTrend } from '../monitoring/outbreaks/positivity.js';
import { spaceTimePermutationScan } from '../monitoring/outbreaks/scan.js';
import { weeklyTotals } from '../simulate/history.js';
import type { OutbreakMethod, SeriesMethod } from './methodNames.js';
import type { CountSeries } from './series.js';

export { isOutbreakMethod, OUTBREAK_METHODS, parseOutbreakMethods, SERIES_METHODS, type OutbreakMethod, type SeriesMethod } from './methodNames.js';

/**
 * The outbreak methods over daily count series, one signal per method and day. All of them read
 * daily positives (positive tests) of a test in a region (or overall):
 *
 * | method | value compared | threshold | alarm |
 * |---|---|---|---|
 * | ears_c1, ears_c2, ears_c3 | positives on the day | surveillance's earsC upper bound (alpha 0.001 / 0.001 / 0.025) | value > threshold |
 * | cusum | positives on the day | count that takes Page's CUSUM over h (k 0.5, h 5, 28-day moving baseline) | S > h |
 * | farrington | positives in the 7 days ending on the day | farringtonFlexible's upper bound on that weekly series (52 periods a year, b = 5 years, w = 3 weeks, surveillance's defaults) | surveillance's alarm |
 * | positivity_wow | two-proportion z of the 7-day positivity against the 7 days a week earlier | `positivityZ` (3) | z > threshold (a rise) |
 * | positivity_seasonal | z of the 7-day positivity against the same weeks of up to 5 previous years | `positivityZ` | z > threshold |
 * | scan | Monte Carlo p-value of the most likely space-time cluster (per test, regions as zones, windows of up to 7 days ending on the day, over the last `scanDays` days) containing the region | `scanAlpha` (0.05) | p < threshold |
 *
 * Farrington runs daily on weekly totals: the weeks ending on the day, so a day's figure always
 * covers its last 7 days; it needs 5 years and 4 weeks of history (52 x 5 + 3 + 1 weeks).
 * A signal whose method lacks history has value/threshold null and alarm null.
 */
export const METHOD_LABELS: Readonly<Record<OutbreakMethod, string>> = {
  ears_c1: 'EARS C1',
  ears_c2: 'EARS C2',
  ears_c3: 'EARS C3',
  cusum: 'CUSUM',
  farrington: 'Farrington flexible',
  positivity_wow: 'Positivity week over week',
  positivity_seasonal: 'Positivity vs seasonal baseline',
  scan: 'Space-time permutation scan',
};


export interface SignalPoint {
  readonly value: number | null;
  readonly threshold: number | null;
  /** null: not evaluated (too little history). */
  readonly alarm: boolean | null;
}

export interface OutbreakSettings {
  /** |z| a positivity rise must exceed. Default 3. */
  readonly positivityZ: number;
  /** Days of the scan's study period (ending on the day). Default 28. */
  readonly scanDays: number;
  readonly scanMaxWindow: number;
  readonly scanReplicas: number;
  readonly scanAlpha: number;
  readonly scanSeed: number;
  /** Farrington's years back (b). Default 5. */
  readonly farringtonYears: number;
}

export const DEFAULT_OUTBREAK_SETTINGS: OutbreakSettings = {
  positivityZ: 3,
  scanDays: 28,
  scanMaxWindow: 7,
  scanReplicas: 999,
  scanAlpha: 0.05,
  scanSeed: 1,
  farringtonYears: 5,
};

const NOT_EVALUATED: SignalPoint = { value: null, threshold: null, alarm: null };
const EARS: Record<'ears_c1' | 'ears_c2' | 'ears_c3', EarsMethod> = { ears_c1: 'C1', ears_c2: 'C2', ears_c3: 'C3' };
const EARS_MAX_LAG: Record<EarsMethod, number> = { C1: 7, C2: 9, C3: 11 };

/** Days of history Farrington needs before a day it evaluates (weekly, b years, w = 3). */
export function farringtonHistoryDays(years: number): number {
  return (52 * years + 3 + 1) * 7;
}

export type SeriesSignals = Record<SeriesMethod, SignalPoint[]>;

export interface SignalRange {
  /** First and last day index (inclusive) to report. */
  readonly from: number;
  readonly to: number;
  /**
   * First index of the contiguous recent data EARS and CUSUM may use (default 0). A caller that
   * reads only the windows it needs (recent days plus previous years' weeks) sets it to the start
   * of the recent block: days before it may be unread zeros.
   */
  readonly contiguousFrom?: number;
}

/** Every series method over one series, one point per day in [from, to]. */
export function seriesSignals(series: CountSeries, range: SignalRange, settings: OutbreakSettings = DEFAULT_OUTBREAK_SETTINGS): SeriesSignals {
  const { from, to } = range;
  const start = range.contiguousFrom ?? 0;
  const length = to - from + 1;
  const y = series.positives;
  const out = {} as SeriesSignals;
  const empty = (): SignalPoint[] => Array.from({ length }, () => NOT_EVALUATED);

  for (const method of ['ears_c1', 'ears_c2', 'ears_c3'] as const) {
    const points = empty();
    const ears = EARS[method];
    const segment = y.subarray(start, to + 1);
    const first = Math.max(from - start, EARS_MAX_LAG[ears]);
    const last = to - start;
    if (first <= last) {
      for (const p of earsC(segment, { method: ears, range: [first, last] }).slice(first, last + 1)) {
        points[p.index + start - from] = { value: p.observed, threshold: p.threshold, alarm: p.alarm };
      }
    }
    out[method] = points;
  }

  {
    const points = empty();
    const chart = cusum(y.subarray(start, to + 1));
    for (let t = Math.max(from, start); t <= to; t++) {
      const p = chart[t - start]!;
      if (p.alarm !== null) points[t - from] = { value: p.observed, threshold: p.threshold, alarm: p.alarm };
    }
    out.cusum = points;
  }

  out.farrington = farringtonSignals(y, from, to, settings.farringtonYears);

  {
    const wow = empty();
    const seasonal = empty();
    const trend = positivityTrend(y.subarray(0, to + 1), series.tests.subarray(0, to + 1), { range: [from, to] });
    const z = settings.positivityZ;
    for (let t = from; t <= to; t++) {
      const p = trend[t - from]!;
      if (t - 14 + 1 >= start && p.weekOverWeek?.z !== null && p.weekOverWeek?.z !== undefined) {
        wow[t - from] = { value: p.weekOverWeek.z, threshold: z, alarm: p.weekOverWeek.z > z };
      }
      if (p.seasonal?.z !== null && p.seasonal?.z !== undefined) {
        seasonal[t - from] = { value: p.seasonal.z, threshold: z, alarm: p.seasonal.z > z };
      }
    }
    out.positivity_wow = wow;
    out.positivity_seasonal = seasonal;
  }
  return out;
}

/** Farrington flexible on the weekly totals ending on each day of [from, to]. */
function farringtonSignals(y: Float64Array, from: number, to: number, years: number): SignalPoint[] {
  const points: SignalPoint[] = Array.from({ length: to - from + 1 }, () => NOT_EVALUATED);
  const minWeekIndex = 52 * years + 3;
  // Days of one phase (same weekday) share one weekly series: the one ending on the phase's last day.
  for (let phase = 0; phase < 7; phase++) {
    const last = to - ((((to - phase) % 7) + 7) % 7);
    if (last < from) continue;
    const weeks = weeklyTotals(y, last);
    const kLast = weeks.length - 1;
    const firstDay = Math.max(from, last - 7 * (kLast - minWeekIndex));
    const kFirst = kLast - Math.floor((last - firstDay) / 7);
    if (kLast < minWeekIndex || kFirst > kLast) continue;
    const result = farringtonFlexible({ observed: weeks }, { freq: 52, b: years, range: [kFirst, kLast] });
    for (let k = kFirst; k <= kLast; k++) {
      const p = result[k]!;
      if (p.alarm === null && p.threshold === null) continue;
      const day = last - 7 * (kLast - k);
      points[day - from] = { value: p.observed, threshold: p.threshold, alarm: p.alarm };
    }
  }
  return points;
}

/**
 * The space-time permutation scan of one test on day `t` over the regions' series (same length
 * and dates): one point per region. A region in a cluster with p < alpha alarms.
 */
export function scanSignals(regional: readonly CountSeries[], t: number, settings: OutbreakSettings = DEFAULT_OUTBREAK_SETTINGS, contiguousFrom = 0): SignalPoint[] {
  const first = t - settings.scanDays + 1;
  if (first < contiguousFrom || regional.length < 2) return regional.map(() => NOT_EVALUATED);
  const counts = regional.map((s) => Float64Array.from(s.positives.subarray(first, t + 1), Math.round));
  const result = spaceTimePermutationScan(counts, { maxWindow: settings.scanMaxWindow, replicas: settings.scanReplicas, seed: settings.scanSeed + t, stopAbove: settings.scanAlpha });
  const points: SignalPoint[] = regional.map(() => ({ value: null, threshold: settings.scanAlpha, alarm: false }));
  for (const cluster of result.clusters) {
    for (const z of cluster.regions) points[z] = { value: cluster.pvalue, threshold: settings.scanAlpha, alarm: cluster.pvalue < settings.scanAlpha };
  }
  return points;
}

/** Positives in the 7 days ending on each day (the rolling week the report charts). */
export function rollingWeek(values: ArrayLike<number>, t: number): number {
  let s = 0;
  for (let d = Math.max(0, t - 6); d <= t; d++) s += values[d]!;
  return s;
}
