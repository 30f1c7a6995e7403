import type { CalibrationEvaluation } from '../../evaluation/calibration.js';
import { evaluate, type Evaluation } from '../../evaluation/evaluate.js';
import type { DetectionScore, OutbreakEvaluation } from '../../evaluation/outbreaks.js';
import type { Command } from '../command.js';
import { formatTable, withPlatform } from '../session.js';

const pct = (v: number | null): string => (v === null ? '-' : `${Math.round(v * 100)}%`);
const num = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const signed = (v: number | null): string => (v === null ? '-' : `${v > 0 ? '+' : ''}${num(v, v % 1 === 0 ? 0 : 1)}`);

/** The claim: a method detects >= 5 days earlier (median, paired) than the review with fewer false-alarm days. */
export function claimVerdict(e: OutbreakEvaluation): string {
  const manual = e.scores.find((s) => s.method === 'manual_review')!;
  const methods = e.scores.filter((s) => s.method !== 'manual_review' && s.ran);
  if (e.outbreaks === 0) return 'claim "5 days earlier than manual review": no outbreak to judge it on';
  const fewer = (s: DetectionScore) => s.falseAlarmDaysPerSeriesYear !== null && manual.falseAlarmDaysPerSeriesYear !== null && s.falseAlarmDaysPerSeriesYear < manual.falseAlarmDaysPerSeriesYear;
  const met = methods.filter((s) => (s.medianDaysEarlierThanManual ?? -Infinity) >= 5 && fewer(s));
  if (met.length > 0) return `claim "5 days earlier than manual review, fewer false alarms": MET by ${met.map((s) => s.label).join(', ')}`;
  const earliest = [...methods].sort((a, b) => (b.medianDaysEarlierThanManual ?? -Infinity) - (a.medianDaysEarlierThanManual ?? -Infinity))[0];
  const earlyEnough = methods.filter((s) => (s.medianDaysEarlierThanManual ?? -Infinity) >= 5);
  const parts = [`claim "5 days earlier than manual review, fewer false alarms": NOT MET`];
  if (earliest) parts.push(`earliest: ${earliest.label} (${signed(earliest.medianDaysEarlierThanManual)} d, ${num(earliest.falseAlarmDaysPerSeriesYear)} false-alarm days/series-year vs ${num(manual.falseAlarmDaysPerSeriesYear)})`);
  if (earlyEnough.length === 0) parts.push('no method is 5 days earlier');
  return parts.join('; ');
}

export function formatOutbreaks(e: OutbreakEvaluation): string {
  const head = `Outbreak detection: ${e.source}, ${e.from}..${e.to}, ${e.regionalSeries} test-region series (${num(e.seriesYears)} series-years), ${e.outbreaks} outbreaks`;
  const table = formatTable(
    ['method', 'detected', 'sensitivity', 'false-alarm days/test-region-year', 'median delay (d)', 'days earlier than manual (median, n)'],
    e.scores.map((s) =>
      s.ran
        ? [s.label, `${s.detected}/${s.outbreaks}`, pct(s.sensitivity), num(s.falseAlarmDaysPerSeriesYear, 2), num(s.medianDelayDays), s.method === 'manual_review' ? 'baseline' : `${signed(s.medianDaysEarlierThanManual)} (${s.pairedWithManual})`]
        : [s.label, '-', '-', '-', '-', 'not run: too little history'],
    ),
  );
  return `${head}\n${table}\nManual review: each Monday a test/region is flagged when its positives of the past 7 days exceed the mean + 2 SD of the 4 weekly totals before.\n${claimVerdict(e)}`;
}

export function formatCalibration(c: CalibrationEvaluation): string {
  const head = `Calibration drift: simulated lab, days ${c.from}..${c.to}, ${c.episodes} drift episodes (shifts of 1-3 analytical SD)`;
  const table = formatTable(
    ['method', 'detected', 'median delay (d)', 'found in first 3 days', 'shifts < 1.5 SD found in first 3 days', 'false-alarm days/device-analyte-year'],
    c.scores.map((s) => [
      s.label,
      `${s.detected}/${s.episodes}`,
      num(s.medianDelayDays),
      `${s.within3Days}/${s.episodes}`,
      `${s.smallShiftWithin3Days}/${s.smallShiftEpisodes}`,
      num(s.falseAlarmDaysPerPairYear, 2),
    ]),
  );
  return `${head}\n${table}`;
}

export function formatModel(m: Evaluation['model']): string {
  if (!m) return 'Device failure: no production model (train one: lims-mlops train)';
  const x = m.metrics;
  const lines = [
    `Device failure: production model ${m.version} (trained on ${m.trainingWindow.from}..${m.trainingWindow.to}${m.holdoutWindow ? `, holdout ${m.holdoutWindow.join('..')}` : ''})`,
    formatTable(
      ['ROC-AUC', 'PR-AUC', 'precision at HIGH', 'recall at HIGH', 'Brier', 'holdout failures', 'warned (HIGH) before', 'median lead time (d)'],
      [[num(x.roc_auc, 3), num(x.pr_auc, 3), num(x.precision, 3), num(x.recall, 3), num(x.brier, 4), m.leadTime.failures ?? '-', m.leadTime.detected ?? '-', num(m.leadTime.medianDays)]],
    ),
  ];
  if (m.leadTime.distribution && Object.keys(m.leadTime.distribution).length > 0) {
    lines.push(`lead times (days: failures): ${Object.entries(m.leadTime.distribution).map(([d, n]) => `${d}: ${n}`).join(', ')}`);
  }
  return lines.join('\n');
}

export function formatEvaluation(e: Evaluation): string {
  const parts: string[] = [];
  if (e.lab.outbreaks) parts.push(formatOutbreaks(e.lab.outbreaks));
  if (!e.lab.available) parts.push(`Lab: not evaluated (${e.lab.note ?? 'no ground truth'})`);
  if (e.history) parts.push(formatOutbreaks(e.history));
  if (e.lab.calibration) parts.push(formatCalibration(e.lab.calibration));
  parts.push(formatModel(e.model));
  return parts.join('\n\n');
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "Measure outbreak, calibration-drift and failure detection against the simulator's ground truth",
  usage: `lims-mlops evaluate [--no-history] [--json]

Outbreaks: every method (EARS C1/C2/C3, CUSUM, Farrington flexible, positivity trends, the
space-time scan) against the injected outbreaks of the simulated lab and of a 7-year simulated
test history (lib/simulate/history.ts; its last 2 years scored, after Farrington's 5 years):
sensitivity, false-alarm days per test-region-year and median delay, compared with a manual
review (each Monday, a test/region whose positives of the past 7 days exceed the mean + 2 SD of
the 4 weeks before). Calibration drift: z-score, moving average and Westgard against the lab's
drift episodes. Device failure: the production model's holdout metrics and lead times.
Needs a simulated lab taken through the pipeline (lims-mlops run).
  --no-history   skip the multi-year history (faster)
  --json         print the evaluation as JSON`,
  options: { json: { type: 'boolean' }, 'no-history': { type: 'boolean' } },
  prepare(values, _positionals, config) {
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const result = await evaluate(ctx, { history: !values['no-history'], log: (line) => console.error(line) });
        if (values.json) console.log(JSON.stringify(result, null, 2));
        else {
          console.log(formatEvaluation(result));
          console.log(`\nEvaluated in ${result.seconds.toFixed(1)} s.`);
        }
        return 0;
      });
  },
};
