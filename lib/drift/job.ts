import type { AppContext } from '../app/context.js';
import { calibrationDriftAlerts, dataDriftAlerts } from '../alerts/rules.js';
import { alertSink, publishEvents, reconcileAlerts } from '../alerts/record.js';
import { FEATURE_NAMES } from '../features/deviceFeatures.js';
import { DEVICE_FEATURES } from '../pipeline/goldTables.js';
import { SILVER_TABLES } from '../pipeline/silverTables.js';
import { CONTAINERS } from '../platform/resources.js';
import { ANALYTES } from '../standards/analytes.js';
import { readColumns, type Columns } from './lakeColumns.js';
import { QC_COLUMNS, westgardOfColumns, type QcSeries } from './qc.js';
import { buildDriftReport, DEFAULT_DRIFT_OPTIONS, type DriftOptions, type DriftReport, type Window } from './report.js';
import { daySummaries } from './summaries.js';
import { addDays, dateRange, daysBetween } from '../calendar/days.js';

/**
 * The drift report job: reads the two windows from the lake, builds the report (report.ts),
 * stores it as `reports/drift/<current end>.json` and records the alert events of its CRITICAL
 * and MEDIUM findings. The daily timer reports the latest DRIFT_CURRENT_DAYS days against the
 * DRIFT_BASELINE_DAYS before them; `lims-mlops drift` takes any windows.
 */
export interface DriftWindows {
  readonly baseline: Window;
  readonly current: Window;
}

/** QC days read before the current window so that across-run rules (10x) have their history. */
export const QC_LOOKBACK_DAYS = 10;

export function defaultWindows(latestDay: string, baselineDays: number, currentDays: number): DriftWindows {
  const currentStart = addDays(latestDay, -(currentDays - 1));
  return {
    baseline: { start: addDays(currentStart, -baselineDays), end: addDays(currentStart, -1) },
    current: { start: currentStart, end: latestDay },
  };
}

/** Problems with windows, in words (empty when fine). */
export function windowProblems(w: DriftWindows): string[] {
  const problems: string[] = [];
  if (w.baseline.start > w.baseline.end) problems.push(`baseline starts (${w.baseline.start}) after it ends (${w.baseline.end})`);
  if (w.current.start > w.current.end) problems.push(`current window starts (${w.current.start}) after it ends (${w.current.end})`);
  if (w.baseline.end >= w.current.start) problems.push(`baseline must end before the current window starts (${w.baseline.end} >= ${w.current.start})`);
  if (daysBetween(w.baseline.start, w.current.end) > 3660) problems.push('the windows span more than 10 years');
  return problems;
}

export function driftOptions(config: AppContext['config']): DriftOptions {
  return { ...DEFAULT_DRIFT_OPTIONS, criticalZ: config.ALERT_CALIBRATION_Z, criticalFdr: config.ALERT_CALIBRATION_FDR, pValue: config.ALERT_DRIFT_P_VALUE, minTests: config.ALERT_DRIFT_MIN_TESTS };
}

export function analyteNames(): Map<string, string> {
  return new Map(ANALYTES.map((a) => [a.loinc, a.name]));
}

/**
 * Where a report is stored: `drift/<current end>.json` for the standard windows (the daily
 * series the dashboard reads), `drift/custom/<baseline start>_<baseline end>_<current start>_<current end>.json`
 * for any other windows, so a look back never replaces a day's report.
 */
export function driftReportBlob(w: DriftWindows, standard: boolean): string {
  return standard ? `drift/${w.current.end}.json` : `drift/custom/${w.baseline.start}_${w.baseline.end}_${w.current.start}_${w.current.end}.json`;
}

export function isStandardWindows(w: DriftWindows, config: Pick<AppContext['config'], 'DRIFT_BASELINE_DAYS' | 'DRIFT_CURRENT_DAYS'>): boolean {
  const d = defaultWindows(w.current.end, config.DRIFT_BASELINE_DAYS, config.DRIFT_CURRENT_DAYS);
  return d.baseline.start === w.baseline.start && d.baseline.end === w.baseline.end && d.current.start === w.current.start && d.current.end === w.current.end;
}

/** Device-day feature values of the two windows, by feature name (non-finite values left out). */
export async function featureSamples(ctx: Pick<AppContext, 'lake'>, w: DriftWindows): Promise<Map<string, { baseline: Float64Array; current: Float64Array }>> {
  // Each day's shards listed under the day: a listing of the whole table grows with its history.
  const days = [...dateRange(w.baseline.start, w.baseline.end), ...dateRange(w.current.start, w.current.end)];
  const partitions = (await Promise.all(days.map((feature_date) => ctx.lake.listPartitions(DEVICE_FEATURES, { feature_date })))).flat();
  const parts = await Promise.all(partitions.map(async (p) => ({ current: p.feature_date! >= w.current.start, batches: await readColumns(ctx.lake, DEVICE_FEATURES, p, FEATURE_NAMES) })));
  const out = new Map<string, { baseline: Float64Array; current: Float64Array }>();
  const rows = (current: boolean) => parts.reduce((sum, p) => sum + (p.current === current ? p.batches.reduce((n, b) => n + b.length, 0) : 0), 0);
  const [baselineRows, currentRows] = [rows(false), rows(true)];
  for (const name of FEATURE_NAMES) {
    const values = { baseline: new Float64Array(baselineRows), current: new Float64Array(currentRows) };
    const filled = { baseline: 0, current: 0 };
    for (const part of parts) {
      const side = part.current ? 'current' : 'baseline';
      const target = values[side];
      let at = filled[side];
      for (const batch of part.batches) {
        const column = batch.number(name);
        for (let i = 0; i < column.length; i++) if (Number.isFinite(column[i]!)) target[at++] = column[i]!;
      }
      filled[side] = at;
    }
    out.set(name, { baseline: values.baseline.subarray(0, filled.baseline), current: values.current.subarray(0, filled.current) });
  }
  return out;
}

/** Westgard over the QC of [from, to], reporting runs from `reportFrom` on (default: all). */
export async function readQc(ctx: Pick<AppContext, 'lake'>, from: string, to: string, reportFrom = from, concurrency = 16): Promise<QcSeries[]> {
  const days = dateRange(from, to);
  const batches: Columns[][] = new Array(days.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, days.length) }, async () => {
      while (next < days.length) {
        const i = next++;
        batches[i] = await readColumns(ctx.lake, SILVER_TABLES.quality_control, { run_date: days[i]! }, QC_COLUMNS);
      }
    }),
  );
  return westgardOfColumns(batches.flat(), reportFrom);
}

/** Builds the report of the windows from the lake (nothing written). */
export async function computeDriftReport(ctx: Pick<AppContext, 'lake' | 'config'>, w: DriftWindows): Promise<DriftReport> {
  const [features, baselineDays, currentDays, qc] = await Promise.all([
    featureSamples(ctx, w),
    daySummaries(ctx.lake, dateRange(w.baseline.start, w.baseline.end)),
    daySummaries(ctx.lake, dateRange(w.current.start, w.current.end)),
    readQc(ctx, addDays(w.current.start, -QC_LOOKBACK_DAYS), w.current.end, w.current.start),
  ]);
  return buildDriftReport({ baseline: w.baseline, current: w.current, features, baselineDays, currentDays, qc, analyteNames: analyteNames() }, driftOptions(ctx.config));
}

export interface DriftRun {
  readonly report: DriftReport;
  /** Where the report was stored (container/blob). */
  readonly location: string;
  readonly alerts: number;
}

/**
 * Builds, stores and alerts. `alerts: 'reconcile'` (the daily timer) also resolves open drift
 * alerts that no longer fire; 'record' (explicit windows) only records what fires; 'none' skips.
 */
export async function runDriftReport(ctx: AppContext, w: DriftWindows, alerts: 'reconcile' | 'record' | 'none' = 'record'): Promise<DriftRun> {
  const run = await ctx.ledger.start('drift', `${w.baseline.start}..${w.current.end}`);
  try {
    const report = await computeDriftReport(ctx, w);
    const blob = driftReportBlob(w, isStandardWindows(w, ctx.config));
    const body = JSON.stringify(report, null, 2);
    await ctx.storage.container(CONTAINERS.reports).getBlockBlobClient(blob).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    let recorded = 0;
    if (alerts !== 'none') {
      const config = ctx.config;
      const calibration = calibrationDriftAlerts(
        report.calibration.flatMap((c) =>
          [
            { z: c.self_z, pAdjusted: c.self_p_adjusted, method: 'self' },
            { z: c.peer_z, pAdjusted: c.peer_p_adjusted, method: 'peer' },
          ].flatMap(({ z, pAdjusted, method }) => (z === null || pAdjusted === null ? [] : [{ device: c.device_id, analyte: c.loinc_code, z, pAdjusted, day: report.day, method }])),
        ),
        config,
        'monitoring/drift',
      );
      const data = dataDriftAlerts(report.data_drift.map((t) => ({ name: t.display_name, pValue: t.ks_pvalue_adjusted, statistic: t.ks_statistic })), report.day, config, 'lab', 'monitoring/drift');
      const sink = alertSink(ctx);
      if (alerts === 'reconcile') {
        await reconcileAlerts(sink, 'calibration_drift', calibration, { day: report.day, source: 'monitoring/drift' });
        await reconcileAlerts(sink, 'data_drift', data, { day: report.day, source: 'monitoring/drift' });
      } else if (calibration.length + data.length > 0) {
        await publishEvents(sink, [...calibration, ...data]);
      }
      recorded = calibration.length + data.length;
    }
    await run.succeed({ rowsIn: report.summary.device_analytes_checked + report.summary.tests, rowsOut: report.calibration.length + report.data_drift.length });
    return { report, location: `${CONTAINERS.reports}/${blob}`, alerts: recorded };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

/** The daily timer: the latest day with data against the configured windows. */
export async function driftReportDaily(ctx: AppContext): Promise<DriftRun | undefined> {
  const latest = await ctx.horizon.latestDay();
  if (!latest) return undefined;
  return runDriftReport(ctx, defaultWindows(latest, ctx.config.DRIFT_BASELINE_DAYS, ctx.config.DRIFT_CURRENT_DAYS), 'reconcile');
}
