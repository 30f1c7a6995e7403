import path from 'node:path';
import type { AppContext } from '../app/context.js';
import { driftOptions, readQc } from '../drift/job.js';
import type { Columns } from '../drift/lakeColumns.js';
import { daySummaries } from '../drift/summaries.js';
import { alertRule, outbreakSettings } from '../outbreaks/job.js';
import { farringtonHistoryDays, type OutbreakSettings } from '../outbreaks/methods.js';
import { readSeriesDays, seriesFromGold, seriesFromHistory } from '../outbreaks/series.js';
import { OUTBREAK_SERIES } from '../pipeline/goldTables.js';
import { SILVER_TABLES } from '../pipeline/silverTables.js';
import { DEFAULT_HISTORY, simulateTestHistory, type TestHistoryOptions } from '../simulate/history.js';
import { readGroundTruth } from '../simulate/store.js';
import type { GroundTruth } from '../simulate/truth.js';
import { evaluateCalibrationDetection, type CalibrationEvaluation } from './calibration.js';
import { FIRST_EVALUATED_DAY, evaluateOutbreakDetection, type AlertRule, type OutbreakEvaluation } from './outbreaks.js';
import { dateRange } from '../calendar/days.js';

/**
 * `lims-mlops evaluate`: the product's claims measured against the simulator's ground truth.
 * - Outbreaks on the lab (gold outbreak_series of the simulated lab, its injected outbreaks) and
 *   on a multi-year simulated history (lib/simulate/history.ts: the same tests and regions,
 *   7 years, so Farrington's 5 years back exist; the last 2 years are scored), each method
 *   against the Monday manual review.
 * - Calibration drift on the lab (its drift episodes), per method.
 * - Device failure: the production model's card (holdout metrics and warning lead times).
 * The scan's Monte Carlo uses EVALUATION_SCAN_REPLICAS (199) replicas per day and test here, the
 * daily job OUTBREAK_SCAN_REPLICAS: a p < 0.05 decision needs no finer p-values.
 */
export const EVALUATION_SCAN_REPLICAS = 199;

const elapsed = (from: number, to = performance.now()): string => `${((to - from) / 1000).toFixed(1)} s`;

export interface ModelSummary {
  readonly version: string;
  readonly trainingWindow: { readonly from: string; readonly to: string };
  readonly holdoutWindow: readonly string[] | null;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly leadTime: { readonly failures: number | null; readonly detected: number | null; readonly medianDays: number | null; readonly distribution: Readonly<Record<string, number>> | null };
}

export interface Evaluation {
  readonly lab: {
    readonly available: boolean;
    readonly note: string | null;
    readonly outbreaks: OutbreakEvaluation | null;
    readonly calibration: CalibrationEvaluation | null;
  };
  readonly history: OutbreakEvaluation | null;
  readonly historyOptions: TestHistoryOptions | null;
  readonly model: ModelSummary | null;
  readonly seconds: number;
}

export interface EvaluateOptions {
  /** Score the multi-year history too (default true). */
  readonly history?: boolean;
  readonly historyOptions?: Partial<TestHistoryOptions>;
  /** Ground truth of the lab; default: read from LOCAL_DATA_DIR/lims when LIMS_SOURCE=simulator. */
  readonly truth?: GroundTruth;
  readonly log?: (line: string) => void;
}

function evaluationSettings(ctx: Pick<AppContext, 'config'>): OutbreakSettings {
  return { ...outbreakSettings(ctx.config), scanReplicas: Math.min(EVALUATION_SCAN_REPLICAS, ctx.config.OUTBREAK_SCAN_REPLICAS) };
}

async function readAllSeries(ctx: Pick<AppContext, 'lake'>): Promise<Map<string, Columns[]>> {
  const dates = (await ctx.lake.listPartitions(OUTBREAK_SERIES)).map((p) => p.series_date).filter((d): d is string => typeof d === 'string');
  return readSeriesDays(ctx.lake, dates);
}

export async function evaluateLab(ctx: Pick<AppContext, 'lake' | 'config'>, truth: GroundTruth, log: (line: string) => void = () => undefined): Promise<Evaluation['lab']> {
  const settings = evaluationSettings(ctx);
  const read = performance.now();
  const seriesRows = await readAllSeries(ctx);
  log(`evaluate: read ${seriesRows.size} days of outbreak series in ${elapsed(read)}`);
  const seriesDates = [...seriesRows.keys()].sort();
  let outbreaks: OutbreakEvaluation | null = null;
  if (seriesDates.length > FIRST_EVALUATED_DAY) {
    const set = seriesFromGold(seriesRows, seriesDates[0]!, seriesDates[seriesDates.length - 1]!, false);
    const t0 = performance.now();
    outbreaks = evaluateOutbreakDetection(set, truth.outbreaks, { source: 'simulated lab', settings, alertRule: alertRule(ctx.config) });
    log(`evaluate: outbreak methods on the lab (${set.series.length} series x ${set.dates.length} days) in ${elapsed(t0)}`);
  }
  const resultDates = (await ctx.lake.listPartitions(SILVER_TABLES.lab_results)).map((p) => p.result_date).filter((d): d is string => typeof d === 'string' && /^\d{4}-/.test(d)).sort();
  let calibration: CalibrationEvaluation | null = null;
  if (resultDates.length > 0) {
    const from = resultDates[0]!;
    const to = resultDates[resultDates.length - 1]!;
    const t0 = performance.now();
    const [days, qc] = await Promise.all([daySummaries(ctx.lake, dateRange(from, to)), readQc(ctx, from, to)]);
    const t1 = performance.now();
    calibration = evaluateCalibrationDetection({
      days,
      qc,
      episodes: truth.driftEpisodes,
      baselineDays: ctx.config.DRIFT_BASELINE_DAYS,
      currentDays: ctx.config.DRIFT_CURRENT_DAYS,
      options: driftOptions(ctx.config),
    });
    log(`evaluate: calibration drift methods on the lab (${from} to ${to}): read in ${elapsed(t0, t1)}, scored in ${elapsed(t1)}`);
  }
  return { available: true, note: null, outbreaks, calibration };
}

export function evaluateHistory(settings: OutbreakSettings, rule: AlertRule | undefined, options: Partial<TestHistoryOptions> = {}): { evaluation: OutbreakEvaluation; options: TestHistoryOptions } {
  const history = simulateTestHistory(options);
  const set = seriesFromHistory(history);
  const from = Math.min(set.dates.length - 1, farringtonHistoryDays(settings.farringtonYears));
  return { evaluation: evaluateOutbreakDetection(set, history.outbreaks, { source: `simulated history (${history.options.years} years, ${set.series.length} test-region series)`, settings, from, ...(rule ? { alertRule: rule } : {}) }), options: history.options };
}

export async function productionModelSummary(ctx: Pick<AppContext, 'registry'>): Promise<ModelSummary | null> {
  const alias = await ctx.registry().alias('production');
  if (!alias) return null;
  const card = await ctx.registry().card(alias.version);
  const details = (card.details ?? {}) as { windows?: { holdout?: string[] }; leadTime?: { failures?: number; detected?: number; medianDays?: number | null; distribution?: Record<string, number> } };
  return {
    version: card.version,
    trainingWindow: card.trainingWindow,
    holdoutWindow: details.windows?.holdout ?? null,
    metrics: card.metrics,
    leadTime: {
      failures: details.leadTime?.failures ?? null,
      detected: details.leadTime?.detected ?? null,
      medianDays: details.leadTime?.medianDays ?? card.metrics.lead_time_median_days ?? null,
      distribution: details.leadTime?.distribution ?? null,
    },
  };
}

export async function evaluate(ctx: AppContext, options: EvaluateOptions = {}): Promise<Evaluation> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  let truth = options.truth;
  let note: string | null = null;
  if (!truth) {
    if (ctx.config.LIMS_SOURCE !== 'simulator') note = 'the LIMS is not the simulator: no ground truth for the lab';
    else {
      try {
        truth = readGroundTruth(path.join(ctx.config.LOCAL_DATA_DIR, 'lims'));
      } catch (error) {
        note = error instanceof Error ? error.message : String(error);
      }
    }
  }
  const lab = truth ? await evaluateLab(ctx, truth, log) : { available: false, note, outbreaks: null, calibration: null };
  let history: ReturnType<typeof evaluateHistory> | null = null;
  if (options.history !== false) {
    const t0 = performance.now();
    history = evaluateHistory(evaluationSettings(ctx), alertRule(ctx.config), { ...DEFAULT_HISTORY, ...options.historyOptions });
    log(`evaluate: outbreak methods on the multi-year simulated history in ${elapsed(t0)}`);
  }
  const model = await productionModelSummary(ctx);
  return { lab, history: history?.evaluation ?? null, historyOptions: history?.options ?? null, model, seconds: (performance.now() - started) / 1000 };
}
