import { manualReview } from '../outbreaks/manualReview.js';
import { DEFAULT_OUTBREAK_SETTINGS, METHOD_LABELS, OUTBREAK_METHODS, scanSignals, seriesSignals, type OutbreakMethod, type OutbreakSettings } from '../outbreaks/methods.js';
import { ALL_REGIONS, seriesKey, type CountSeries, type SeriesSet } from '../outbreaks/series.js';
import type { OutbreakTruth } from '../simulate/truth.js';

/**
 * Outbreak detection measured against ground truth, per method and for the manual review:
 * - an outbreak (test, region, start..end) is detected when the method alarms on that test's
 *   series in that region on a day from its start to its end; the delay is that first alarm day
 *   minus the start day (0 = the day it started);
 * - a false-alarm day is an alarm day of a regional series outside every outbreak of the series
 *   (an outbreak's window runs to `graceDays` after its end: alarms on its tail are not false);
 *   they are counted per test-region-year of evaluated days;
 * - "days earlier than manual review": over the outbreaks both the method and the review
 *   detected, the median of (review delay - method delay).
 * Only outbreaks starting inside the evaluated days count; every method is evaluated on the
 * same days (from the first day the review can run: 35 days of history).
 */
export type ScoredMethod = OutbreakMethod | 'manual_review' | 'alert_rule';

export interface DetectionScore {
  readonly method: ScoredMethod;
  readonly label: string;
  /** false when the method never had enough history to run (Farrington without 5 years). */
  readonly ran: boolean;
  readonly outbreaks: number;
  readonly detected: number;
  readonly sensitivity: number | null;
  readonly falseAlarmDays: number;
  readonly falseAlarmDaysPerSeriesYear: number | null;
  readonly medianDelayDays: number | null;
  readonly pairedWithManual: number;
  readonly medianDaysEarlierThanManual: number | null;
}

export interface OutbreakEvaluation {
  readonly source: string;
  readonly from: string;
  readonly to: string;
  readonly regionalSeries: number;
  readonly seriesYears: number;
  readonly outbreaks: number;
  readonly scores: readonly DetectionScore[];
}

export interface OutbreakEvaluationOptions {
  readonly source: string;
  readonly settings?: OutbreakSettings;
  /** First day index evaluated; default 35 (the manual review's first possible Monday). */
  readonly from?: number;
  readonly graceDays?: number;
  readonly methods?: readonly OutbreakMethod[];
  /** The alerting rule to score as well: an alarm when at least `min` of `methods` alarm on a day. */
  readonly alertRule?: AlertRule;
}

export interface AlertRule {
  readonly methods: readonly OutbreakMethod[];
  readonly min: number;
}

const SHORT: Readonly<Record<OutbreakMethod, string>> = {
  ears_c1: 'C1',
  ears_c2: 'C2',
  ears_c3: 'C3',
  cusum: 'CUSUM',
  farrington: 'Farrington',
  positivity_wow: 'week over week',
  positivity_seasonal: 'seasonal',
  scan: 'scan',
};

export function alertRuleLabel(rule: AlertRule): string {
  const names = rule.methods.map((m) => SHORT[m]).join(', ');
  return rule.min <= 1 ? `Alert rule (any of ${names})` : `Alert rule (${rule.min} of ${names})`;
}

/** Alarm flags of the alert rule from the methods' flags (null on days none of them ran). */
export function alertRuleFlags(row: ReadonlyMap<ScoredMethod, readonly (boolean | null)[]>, rule: AlertRule, length: number): (boolean | null)[] {
  return Array.from({ length }, (_, i) => {
    let ran = false;
    let alarms = 0;
    for (const m of rule.methods) {
      const v = row.get(m)?.[i] ?? null;
      if (v !== null) ran = true;
      if (v) alarms++;
    }
    return ran ? alarms >= rule.min : null;
  });
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const dayIndexOf = (dates: readonly string[]) => {
  const index = new Map(dates.map((d, i) => [d, i]));
  return (date: string): number | undefined => index.get(date);
};

/** Alarm flags per method per regional series over [from, to]; null where a method did not run. */
export function alarmTable(set: SeriesSet, from: number, to: number, settings: OutbreakSettings, methods: readonly OutbreakMethod[]): Map<string, Map<ScoredMethod, (boolean | null)[]>> {
  const regional = set.series.filter((s) => s.region !== ALL_REGIONS);
  const table = new Map<string, Map<ScoredMethod, (boolean | null)[]>>();
  for (const s of regional) {
    const signals = seriesSignals(s, { from, to }, settings);
    const row = new Map<ScoredMethod, (boolean | null)[]>();
    for (const m of methods) if (m !== 'scan') row.set(m, signals[m].map((p) => p.alarm));
    row.set('manual_review', manualReview(s.positives, set.dates, from, to).map((p) => (p ? p.alarm : null)));
    table.set(seriesKey(s.loinc, s.region), row);
  }
  if (methods.includes('scan')) {
    const byTest = new Map<string, CountSeries[]>();
    for (const s of regional) byTest.set(s.loinc, [...(byTest.get(s.loinc) ?? []), s]);
    for (const [, list] of byTest) {
      const flags = list.map(() => new Array<boolean | null>(to - from + 1).fill(null));
      for (let t = from; t <= to; t++) {
        scanSignals(list, t, settings).forEach((p, z) => (flags[z]![t - from] = p.alarm));
      }
      list.forEach((s, z) => table.get(seriesKey(s.loinc, s.region))!.set('scan', flags[z]!));
    }
  }
  return table;
}

/** The manual review's first possible Monday: evaluation starts there by default. */
export const FIRST_EVALUATED_DAY = 35;

export function evaluateOutbreakDetection(set: SeriesSet, truth: readonly OutbreakTruth[], options: OutbreakEvaluationOptions): OutbreakEvaluation {
  const settings = options.settings ?? DEFAULT_OUTBREAK_SETTINGS;
  const methods = options.methods ?? OUTBREAK_METHODS;
  const grace = options.graceDays ?? 7;
  const from = options.from ?? FIRST_EVALUATED_DAY;
  const to = set.dates.length - 1;
  if (to < from) throw new Error(`Outbreak evaluation needs more than ${from} days of series; ${set.dates.length} given`);
  const indexOf = dayIndexOf(set.dates);
  const rule = options.alertRule;
  const table = alarmTable(set, from, to, settings, rule ? [...new Set([...methods, ...rule.methods])] : methods);
  if (rule) for (const row of table.values()) row.set('alert_rule', alertRuleFlags(row, rule, to - from + 1));
  const regionalSeries = table.size;
  const seriesYears = (regionalSeries * (to - from + 1)) / 365;

  // Outbreak windows per series (all of them, for false alarms) and those evaluated.
  const windows = new Map<string, { start: number; end: number }[]>();
  const evaluated: { key: string; start: number; end: number }[] = [];
  for (const o of truth) {
    const key = seriesKey(o.loinc, o.region_id);
    if (!table.has(key)) continue;
    const start = indexOf(o.start_day) ?? (o.start_day < set.dates[0]! ? -Infinity : Infinity);
    const end = indexOf(o.end_day) ?? (o.end_day < set.dates[0]! ? -Infinity : to);
    windows.set(key, [...(windows.get(key) ?? []), { start, end }]);
    if (start >= from && start <= to) evaluated.push({ key, start, end: Math.min(end, to) });
  }

  const delaysOf = (method: ScoredMethod): (number | null)[] =>
    evaluated.map(({ key, start, end }) => {
      const flags = table.get(key)!.get(method)!;
      for (let t = start; t <= end; t++) if (flags[t - from]) return t - start;
      return null;
    });
  const manualDelays = delaysOf('manual_review');

  const score = (method: ScoredMethod): DetectionScore => {
    let ran = false;
    let falseAlarmDays = 0;
    for (const [key, row] of table) {
      const flags = row.get(method)!;
      const own = windows.get(key) ?? [];
      flags.forEach((alarm, i) => {
        if (alarm !== null) ran = true;
        if (!alarm) return;
        const t = from + i;
        if (!own.some((w) => t >= w.start && t <= w.end + grace)) falseAlarmDays++;
      });
    }
    const delays = delaysOf(method);
    const found = delays.filter((d): d is number => d !== null);
    const paired: number[] = [];
    delays.forEach((d, i) => {
      const m = manualDelays[i];
      if (d !== null && m !== null && m !== undefined) paired.push(m - d);
    });
    return {
      method,
      label: method === 'manual_review' ? 'Manual review (Mondays)' : method === 'alert_rule' ? alertRuleLabel(rule!) : METHOD_LABELS[method],
      ran,
      outbreaks: evaluated.length,
      detected: found.length,
      sensitivity: ran && evaluated.length > 0 ? found.length / evaluated.length : null,
      falseAlarmDays,
      falseAlarmDaysPerSeriesYear: ran && seriesYears > 0 ? falseAlarmDays / seriesYears : null,
      medianDelayDays: ran ? median(found) : null,
      pairedWithManual: method === 'manual_review' ? 0 : paired.length,
      medianDaysEarlierThanManual: method === 'manual_review' || !ran ? null : median(paired),
    };
  };

  return {
    source: options.source,
    from: set.dates[from] ?? set.dates[0] ?? '',
    to: set.dates[to] ?? '',
    regionalSeries,
    seriesYears,
    outbreaks: evaluated.length,
    scores: [...methods.map(score), ...(rule ? [score('alert_rule')] : []), score('manual_review')],
  };
}
