import type { AppContext } from '../../app/context.js';
import { driftReportDaily } from '../../drift/job.js';
import { evaluate, type Evaluation } from '../../evaluation/evaluate.js';
import { realisedPerformance } from '../../evaluation/modelPerformance.js';
import { detectOutbreaks } from '../../outbreaks/job.js';
import { METHOD_LABELS } from '../../outbreaks/methods.js';
import { ALL_REGIONS } from '../../outbreaks/series.js';
import { progress } from '../progress.js';
import { formatTable } from '../session.js';
import { formatEvaluation } from './evaluate.js';

/** What `lims-mlops run` adds after scoring: the daily monitoring timers, then the evaluation. */
export interface MonitoringSummary {
  readonly drift: {
    readonly day: string;
    readonly alertLevel: string;
    readonly devicesWithDrift: number;
    readonly devicesChecked: number;
    readonly dataDriftTests: number;
    readonly tests: number;
    readonly qcRejectedRuns: number;
    readonly location: string;
    readonly alerts: number;
  } | null;
  readonly outbreaks: {
    readonly day: string;
    readonly series: number;
    readonly farrington: boolean;
    readonly alarms: readonly { test: string; region: string; methods: string }[];
    readonly alerts: number;
  } | null;
  readonly performance: { readonly evaluatedDays: number; readonly lastEvaluable: string | null; readonly predictionDays: number; readonly alerts: number };
  readonly evaluation: Evaluation;
  readonly seconds: { readonly drift: number; readonly outbreaks: number; readonly performance: number; readonly evaluation: number };
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const bar = progress(label, undefined);
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  bar.finish();
  return { value, seconds };
}

export async function runMonitoring(ctx: AppContext): Promise<MonitoringSummary> {
  const drift = await timed('drift report', () => driftReportDaily(ctx));
  const outbreaks = await timed('outbreak detection', () => detectOutbreaks(ctx));
  const performance = await timed('realised model performance', () => realisedPerformance(ctx));
  const evaluation = await timed('evaluation against ground truth', () => evaluate(ctx));
  const d = drift.value;
  const o = outbreaks.value;
  const p = performance.value;
  return {
    drift: d
      ? {
          day: d.report.day,
          alertLevel: d.report.alert_level,
          devicesWithDrift: d.report.summary.devices_with_drift,
          devicesChecked: d.report.summary.devices_checked,
          dataDriftTests: d.report.summary.data_drift_tests,
          tests: d.report.summary.tests,
          qcRejectedRuns: d.report.summary.qc_rejected_runs,
          location: d.location,
          alerts: d.alerts,
        }
      : null,
    outbreaks: o
      ? {
          day: o.day,
          series: o.signals.length,
          farrington: o.farrington,
          alarms: o.signals
            .filter((s) => s.alarms.length > 0)
            .map((s) => ({ test: s.test, region: s.region === ALL_REGIONS ? 'all' : s.region, methods: s.alarms.map((m) => METHOD_LABELS[m]).join(', ') })),
          alerts: o.alerts,
        }
      : null,
    performance: { evaluatedDays: p.evaluated.length, lastEvaluable: p.lastEvaluable, predictionDays: p.predictionDays, alerts: p.alerts },
    evaluation: evaluation.value,
    seconds: { drift: drift.seconds, outbreaks: outbreaks.seconds, performance: performance.seconds, evaluation: evaluation.seconds },
  };
}

export function printMonitoring(m: MonitoringSummary): void {
  console.log('\nMonitoring (the daily timers)');
  if (m.drift) {
    const d = m.drift;
    console.log(
      `drift report ${d.day}: alert level ${d.alertLevel}; ${d.devicesWithDrift} of ${d.devicesChecked} devices with calibration drift, ${d.dataDriftTests} of ${d.tests} data-drift tests drifting, ${d.qcRejectedRuns} Westgard rejections; ${d.alerts} alert events; ${d.location}`,
    );
  } else console.log('drift report: no data');
  if (m.outbreaks) {
    const o = m.outbreaks;
    console.log(`outbreak detection ${o.day}: ${o.series} series, ${o.alarms.length} with a signal, ${o.alerts} alert events${o.farrington ? '' : ' (Farrington flexible needs 5 years of series: not run)'}`);
    if (o.alarms.length > 0) console.log(formatTable(['test', 'region', 'methods alarming'], o.alarms.slice(0, 12).map((a) => [a.test, a.region, a.methods])));
  } else console.log('outbreak detection: no outbreak series');
  const p = m.performance;
  console.log(
    p.evaluatedDays > 0
      ? `realised model performance: ${p.evaluatedDays} prediction days evaluated (${p.alerts} alert events)`
      : `realised model performance: no prediction day with known outcomes yet (${p.predictionDays} prediction days; outcomes are known 7 days after a prediction${p.lastEvaluable ? `, i.e. for days up to ${p.lastEvaluable}` : ''})`,
  );
  console.log(`\nEvaluation against the simulator's ground truth (lims-mlops evaluate)\n`);
  console.log(formatEvaluation(m.evaluation));
}
