import { calibrationOfPairs, dailyByPair, DEFAULT_DRIFT_OPTIONS, type DriftOptions } from '../drift/report.js';
import type { QcSeries } from '../drift/qc.js';
import type { DaySummary } from '../pipeline/analyteDays.js';
import { seriesWindow, type DailySeries } from '../monitoring/calibration.js';
import type { DriftTruth } from '../simulate/truth.js';
import { median } from './outbreaks.js';

/**
 * Calibration-drift detection measured against the simulator's drift episodes (one device's
 * results and QC of one analyte shifted by 1-3 analytical SDs from a start day until the
 * calibration that ends it). Each day is judged as the daily drift report judges it (the
 * current window of `currentDays` days ending on the day against the `baselineDays` before):
 * - z-score: the pair is CRITICAL (|self z| or |peer z| > 3 and its p-value surviving
 *   Benjamini-Hochberg over that day's pairs, the report's rule);
 * - moving average: the pair's EWMA of daily means is outside its limits on the day;
 * - Westgard: a QC run of the device and analyte on the day trips a rejection rule.
 * An episode is detected on its first alarm day while it lasts (start day = delay 0); an alarm
 * day of a device/analyte outside its episodes (each extended by `currentDays` days after it
 * ended, while the window still holds shifted days) is a false alarm, counted per
 * device-analyte-year of days the method could judge.
 */
export type CalibrationMethod = 'z_score' | 'moving_average' | 'westgard';

export const CALIBRATION_LABELS: Readonly<Record<CalibrationMethod, string>> = {
  z_score: 'z-score (own baseline or peers, |z| > 3 surviving BH)',
  moving_average: 'Moving average (EWMA of daily means)',
  westgard: 'Westgard multirule on QC (rejection)',
};

export interface CalibrationScore {
  readonly method: CalibrationMethod;
  readonly label: string;
  readonly episodes: number;
  readonly detected: number;
  readonly sensitivity: number | null;
  readonly medianDelayDays: number | null;
  /** Episodes found on their first three days (delay <= 2). */
  readonly within3Days: number;
  /** Episodes of shifts below 1.5 SD, and those of them found on their first three days. */
  readonly smallShiftEpisodes: number;
  readonly smallShiftWithin3Days: number;
  readonly falseAlarmDays: number;
  readonly pairYears: number;
  readonly falseAlarmDaysPerPairYear: number | null;
}

export interface CalibrationEvaluation {
  readonly from: string;
  readonly to: string;
  readonly episodes: number;
  readonly scores: readonly CalibrationScore[];
}

export interface CalibrationEvaluationInput {
  /** Daily summaries of consecutive days. */
  readonly days: readonly DaySummary[];
  readonly qc: readonly QcSeries[];
  readonly episodes: readonly DriftTruth[];
  readonly baselineDays: number;
  readonly currentDays: number;
  readonly options?: DriftOptions;
}

export function evaluateCalibrationDetection(input: CalibrationEvaluationInput): CalibrationEvaluation {
  const options = input.options ?? DEFAULT_DRIFT_OPTIONS;
  const dates = input.days.map((d) => d.date);
  const index = new Map(dates.map((d, i) => [d, i]));
  const B = input.baselineDays;
  const C = input.currentDays;
  const first = B + C - 1;
  const last = dates.length - 1;
  const byPair = dailyByPair(input.days);
  const alarms: Record<CalibrationMethod, Map<string, Set<number>>> = { z_score: new Map(), moving_average: new Map(), westgard: new Map() };
  const judged: Record<CalibrationMethod, number> = { z_score: 0, moving_average: 0, westgard: 0 };
  const mark = (method: CalibrationMethod, key: string, t: number) => {
    let set = alarms[method].get(key);
    if (!set) alarms[method].set(key, (set = new Set()));
    set.add(t);
  };
  for (let t = first; t <= last; t++) {
    const baseline = new Map<string, DailySeries>();
    const current = new Map<string, DailySeries>();
    for (const [key, days] of byPair) {
      const cur = seriesWindow(days, t - C + 1, t + 1);
      if (!cur.n.some((n) => n > 0)) continue;
      current.set(key, cur);
      baseline.set(key, seriesWindow(days, t - C - B + 1, t - C + 1));
    }
    for (const p of calibrationOfPairs(baseline, current, options)) {
      const key = `${p.device}|${p.loinc}`;
      judged.z_score++;
      judged.moving_average++;
      if (p.level === 'CRITICAL') mark('z_score', key, t);
      if (p.ewmaAlarm) mark('moving_average', key, t);
    }
  }
  for (const series of input.qc) {
    if (!series.loinc) continue;
    const key = `${series.device}|${series.loinc}`;
    const days = new Set<number>();
    for (const run of series.runs) {
      const t = index.get(run.day);
      if (t === undefined || t < first) continue;
      days.add(t);
      if (run.result.reject) mark('westgard', key, t);
    }
    judged.westgard += days.size;
  }

  // Episode windows per pair: active days [start, end - 1] (the ending calibration happens before the day's samples).
  const windows = new Map<string, { start: number; end: number }[]>();
  const evaluated: { key: string; start: number; end: number; shift: number }[] = [];
  for (const e of input.episodes) {
    const key = `${e.device_id}|${e.loinc}`;
    const start = index.get(e.start_day);
    if (start === undefined) continue;
    const endDay = e.end_day === null ? undefined : index.get(e.end_day);
    const end = e.end_day === null ? last : endDay === undefined ? last : endDay - 1;
    if (end < start) continue;
    windows.set(key, [...(windows.get(key) ?? []), { start, end }]);
    if (start >= first) evaluated.push({ key, start, end, shift: Math.abs(e.shift_sd) });
  }

  const score = (method: CalibrationMethod): CalibrationScore => {
    const delays = evaluated.map(({ key, start, end }) => {
      const set = alarms[method].get(key);
      if (set) for (let t = start; t <= end; t++) if (set.has(t)) return t - start;
      return null;
    });
    let falseAlarmDays = 0;
    for (const [key, set] of alarms[method]) {
      const own = windows.get(key) ?? [];
      for (const t of set) if (!own.some((w) => t >= w.start && t <= w.end + C)) falseAlarmDays++;
    }
    const found = delays.filter((d): d is number => d !== null);
    const small = evaluated.map((e, i) => ({ e, d: delays[i] })).filter(({ e }) => e.shift < 1.5);
    const pairYears = judged[method] / 365;
    return {
      method,
      label: CALIBRATION_LABELS[method],
      episodes: evaluated.length,
      detected: found.length,
      sensitivity: evaluated.length > 0 ? found.length / evaluated.length : null,
      medianDelayDays: median(found),
      within3Days: found.filter((d) => d <= 2).length,
      smallShiftEpisodes: small.length,
      smallShiftWithin3Days: small.filter(({ d }) => d !== null && d !== undefined && d <= 2).length,
      falseAlarmDays,
      pairYears,
      falseAlarmDaysPerPairYear: pairYears > 0 ? falseAlarmDays / pairYears : null,
    };
  };
  return {
    from: dates[first] ?? '',
    to: dates[last] ?? '',
    episodes: evaluated.length,
    scores: (['z_score', 'moving_average', 'westgard'] as const).map(score),
  };
}
