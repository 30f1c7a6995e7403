import { InputFileError, driftTestFiles } from '../../drift/files.js';
import { defaultWindows, runDriftReport, windowProblems, type DriftWindows } from '../../drift/job.js';
import type { DriftReport } from '../../drift/report.js';
import { UsageError, dateOption } from '../args.js';
import type { Command } from '../command.js';
import { formatTable, withPlatform } from '../session.js';

const iso = (d: Date | undefined): string | undefined => d?.toISOString().slice(0, 10);
const num = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const pval = (p: number): string => (!Number.isFinite(p) ? '-' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

export function printDriftReport(report: DriftReport, location: string): void {
  const s = report.summary;
  console.log(`Drift report ${report.day}: alert level ${report.alert_level}`);
  console.log(`baseline ${report.baseline.start}..${report.baseline.end} (${report.baseline.days} d), current ${report.current.start}..${report.current.end} (${report.current.days} d)`);
  console.log(
    `devices with drift (|z| > ${report.thresholds.critical_z}): ${s.devices_with_drift} of ${s.devices_checked} (${s.device_analytes_with_drift} device/analyte pairs CRITICAL, ${s.device_analytes_warning} WARNING, ${s.moving_average_alarms} moving-average alarms, ${s.device_analytes_checked} pairs checked)`,
  );
  console.log(`data drift: ${s.data_drift_tests} of ${s.tests} tests with corrected KS p < ${report.thresholds.ks_p_value} (MEDIUM from ${report.thresholds.min_drifting_tests})`);
  console.log(`QC: ${s.qc_rejected_runs} rejected runs of ${s.qc_runs} on ${s.devices_with_qc_rejections} devices, ${s.qc_warnings_12s} 1-2s warnings`);
  if (report.data_drift.length > 0) {
    console.log('\nData drift (KS with Benjamini-Hochberg correction, PSI)');
    console.log(
      formatTable(
        ['kind', 'name', 'n baseline', 'n current', 'KS D', 'p', 'p corrected', 'PSI', 'drift'],
        report.data_drift.map((t) => [t.kind, t.display_name, t.n_baseline, t.n_current, num(t.ks_statistic, 3), pval(t.ks_pvalue), pval(t.ks_pvalue_adjusted), num(t.psi, 3), t.drift ? 'yes' : '']),
      ),
    );
  }
  const shown = report.calibration.filter((c) => c.level !== 'OK').slice(0, 20);
  if (shown.length > 0) {
    console.log(`\nCalibration drift (worst ${shown.length} of ${report.calibration.length} flagged pairs)`);
    console.log(
      formatTable(
        ['device', 'analyte', 'baseline mean', 'current mean', 'n', 'self z', 'peer z', 'level', 'moving avg'],
        shown.map((c) => [c.device_id, c.analyte, num(c.baseline_mean, 3), num(c.current_mean, 3), c.n_current, num(c.self_z), num(c.peer_z), c.level, c.moving_average_alarm ? `alarm since ${c.moving_average_first_alarm}` : '']),
      ),
    );
  }
  if (report.qc.length > 0) {
    console.log(`\nWestgard rejections (first 15 of ${report.qc.length})`);
    console.log(formatTable(['device', 'test', 'day', 'rules'], report.qc.slice(0, 15).map((q) => [q.device_id, q.test_code, q.day, q.rules.join(' ')])));
  }
  console.log(`\nStored as ${location}`);
}

export const driftCommand: Command = {
  name: 'drift',
  summary: 'Drift report: data drift (KS, PSI), calibration drift (z-scores, moving average), Westgard QC',
  usage: `lims-mlops drift [--baseline-start D --baseline-end D --current-start D --current-end D] [--json]

Compares the current window with the baseline window: per device feature and per analyte the
Kolmogorov-Smirnov test (Benjamini-Hochberg corrected) and PSI; per device and analyte the
z-score of the current mean against the device's own baseline and against its peers, and a
moving average; Westgard multirules on QC. Stores reports/drift/<current end>.json and records
alert events (CRITICAL: a device with |z| > ALERT_CALIBRATION_Z; MEDIUM: ALERT_DRIFT_MIN_TESTS
or more drifting tests) unless the current window ends before the latest day with data. Without dates: the latest DRIFT_CURRENT_DAYS days against the
DRIFT_BASELINE_DAYS before them (what the daily timer does). Dates are inclusive, YYYY-MM-DD.
  --json    print the report as JSON`,
  options: {
    'baseline-start': { type: 'string' },
    'baseline-end': { type: 'string' },
    'current-start': { type: 'string' },
    'current-end': { type: 'string' },
    json: { type: 'boolean' },
  },
  prepare(values, _positionals, config) {
    const names = ['baseline-start', 'baseline-end', 'current-start', 'current-end'] as const;
    const given = names.filter((n) => values[n] !== undefined);
    if (given.length > 0 && given.length < names.length) {
      throw new UsageError(`drift: give all four of --${names.join(', --')} (missing --${names.filter((n) => values[n] === undefined).join(', --')})`);
    }
    let windows: DriftWindows | undefined;
    if (given.length === names.length) {
      const [bs, be, cs, ce] = names.map((n) => iso(dateOption('drift', n, values[n] as string))!) as [string, string, string, string];
      windows = { baseline: { start: bs, end: be }, current: { start: cs, end: ce } };
      const problems = windowProblems(windows);
      if (problems.length > 0) throw new UsageError(`drift: ${problems[0]}`);
    }
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const latest = await ctx.horizon.latestDay();
        let w = windows;
        if (!w) {
          if (!latest) throw new Error('no data yet: run `lims-mlops run` (or ingest) first');
          w = defaultWindows(latest, config.DRIFT_BASELINE_DAYS, config.DRIFT_CURRENT_DAYS);
        }
        // Alerts are about now: a window ending before the latest day with data is a look back, not an alert.
        const historical = latest !== undefined && w.current.end < latest;
        const result = await runDriftReport(ctx, w, !windows ? 'reconcile' : historical ? 'none' : 'record');
        if (values.json) console.log(JSON.stringify(result.report, null, 2));
        else {
          printDriftReport(result.report, result.location);
          console.log(historical ? `No alert events: the current window ends before the latest day with data (${latest}).` : `${result.alerts} alert events recorded.`);
        }
        return 0;
      });
  },
};

export const driftTestCommand: Command = {
  name: 'drift-test',
  summary: 'KS test and PSI of one column of two CSV files',
  usage: `lims-mlops drift-test --baseline FILE.csv --current FILE.csv [--column NAME] [--json]

Two-sample Kolmogorov-Smirnov test (as scipy.stats.ks_2samp, method 'auto': exact p-value for
samples up to 10,000, asymptotic above) and the Population Stability Index over 10 baseline
quantile bins (empty bins floored at a share of 1e-4) of one numeric column. Without --column:
the file's only column, else the column named "value".
  --json    print {n_baseline, n_current, ks_statistic, ks_pvalue, psi}`,
  options: { baseline: { type: 'string' }, current: { type: 'string' }, column: { type: 'string' }, json: { type: 'boolean' } },
  prepare(values) {
    const { baseline, current, column } = values;
    if (typeof baseline !== 'string' || typeof current !== 'string') throw new UsageError('drift-test: --baseline FILE.csv and --current FILE.csv are required');
    if (column !== undefined && (typeof column !== 'string' || column.trim() === '')) throw new UsageError('drift-test: --column needs a column name');
    let result;
    try {
      result = driftTestFiles(baseline, current, column as string | undefined);
    } catch (error) {
      if (error instanceof InputFileError) throw new UsageError(`drift-test: ${error.message}`);
      throw error;
    }
    return async () => {
      const { column: name, ...numbers } = result;
      if (values.json) console.log(JSON.stringify(numbers));
      else {
        console.log(`column ${name}: ${numbers.n_baseline} baseline and ${numbers.n_current} current values`);
        console.log(`KS statistic ${numbers.ks_statistic.toFixed(6)}, p-value ${numbers.ks_pvalue.toPrecision(6)}; PSI ${numbers.psi.toFixed(6)}`);
      }
      return 0;
    };
  },
};
