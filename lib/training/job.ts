import type { AppContext } from '../app/context.js';
import { VERSION } from '../app/version.js';
import { FEATURE_NAMES } from '../features/deviceFeatures.js';
import { datasetFromRows, DEVICE_FAILURE_LABEL } from '../ml/dataset.js';
import { exportOnnx } from '../ml/onnx.js';
import { predictProbabilities, serializeModel } from '../ml/model.js';
import { rocAuc, type LeadTimeReport, type ThresholdMetrics } from '../ml/metrics.js';
import { parseModel } from '../ml/model.js';
import { dayMs, isoDay } from '../pipeline/gold.js';
import { DEVICE_FEATURES } from '../pipeline/goldTables.js';
import type { ModelCard } from '../registry/card.js';
import { promotionDecision, type GateDecision } from '../registry/gate.js';
import { newVersion, type ModelRegistry } from '../registry/registry.js';
import type { Row } from '../sources/schema.js';
import { fitFailureModel, type FitResult, type LabelledDays } from './fit.js';

/**
 * The training job (`lims-mlops train`, the Container Apps job's command): read every gold
 * device_features partition, fit, register the version, and promote it through the gate.
 */
export async function readLabelledDays(ctx: Pick<AppContext, 'lake'>, onProgress?: (done: number, total: number) => void): Promise<LabelledDays> {
  const partitions = (await ctx.lake.listPartitions(DEVICE_FEATURES)).sort((a, b) => `${a.feature_date}/${a.shard}`.localeCompare(`${b.feature_date}/${b.shard}`));
  const rows: Row[] = [];
  const days: number[] = [];
  let done = 0;
  for (const partition of partitions) {
    const partRows = await ctx.lake.readRows(DEVICE_FEATURES, partition);
    const day = dayMs(partition.feature_date!);
    for (const row of partRows) {
      rows.push(row);
      days.push(day);
    }
    onProgress?.(++done, partitions.length);
  }
  if (rows.length === 0) throw new Error('gold/device_features is empty: run the pipeline (lims-mlops run) before training');
  return {
    data: datasetFromRows(rows, { features: FEATURE_NAMES, label: DEVICE_FAILURE_LABEL }),
    featureDays: Float64Array.from(days),
    devices: rows.map((r) => String(r.device_id)),
    labelObserved: Uint8Array.from(rows, (r) => (r.label_observed === 1 ? 1 : 0)),
  };
}

/** Confusion and rates at one threshold, as the card reports them. */
function atThreshold(m: ThresholdMetrics): Record<string, unknown> {
  return { threshold: m.threshold, confusion: m.confusion, precision: m.precision, recall: m.recall, f1: m.f1 };
}

function leadTimeSummary(report: LeadTimeReport): Record<string, unknown> {
  return { failures: report.failures, detected: report.detected, medianDays: report.medianDays, distribution: report.distribution };
}

export function modelCard(fit: FitResult, version: string, name: string): ModelCard {
  const windows = fit.split.windows;
  const m = fit.metrics;
  return {
    name,
    version,
    created: new Date().toISOString(),
    codeVersion: VERSION,
    trainingWindow: { from: isoDay(windows.train.firstDay), to: isoDay(windows.train.lastDay) },
    rowCounts: { train: fit.split.train.length, validation: fit.split.validation.length, holdout: fit.split.holdout.length },
    dataHash: fit.dataHash,
    features: fit.featureRanges,
    label: DEVICE_FAILURE_LABEL,
    hyperparameters: { ...fit.params, classWeight: JSON.stringify(fit.params.classWeight), treesKept: fit.treesKept },
    metrics: {
      roc_auc: m.rocAuc,
      pr_auc: m.prAuc,
      brier: m.brier,
      log_loss: m.logLoss,
      accuracy: m.accuracy,
      precision: m.precision,
      recall: m.recall,
      f1: m.f1,
      holdout_rows: m.rows,
      holdout_positives: m.positives,
      lead_time_median_days: fit.leadTime.medianDays,
      failures_detected_share: fit.leadTime.detectionRate,
    },
    calibration: { method: 'platt', a: fit.model.calibration?.a ?? 1, b: fit.model.calibration?.b ?? 0, fittedOn: 'validation split' },
    thresholds: fit.thresholds.thresholds,
    details: {
      confusionAtHigh: m.confusion,
      validationAtThresholds: { medium: atThreshold(fit.thresholds.validation.medium), high: atThreshold(fit.thresholds.validation.high) },
      holdoutAtMedium: { ...atThreshold(fit.atMedium.metrics), leadTime: leadTimeSummary(fit.atMedium.leadTime) },
      windows: {
        train: [isoDay(windows.train.firstDay), isoDay(windows.train.lastDay)],
        validation: [isoDay(windows.validation.firstDay), isoDay(windows.validation.lastDay)],
        holdout: [isoDay(windows.holdout.firstDay), isoDay(windows.holdout.lastDay)],
      },
      excluded: fit.split.excluded,
      leadTime: leadTimeSummary(fit.leadTime),
    },
  };
}

export interface TrainingOutcome {
  readonly card: ModelCard;
  readonly decision: GateDecision;
  readonly productionAucOnHoldout: number | undefined;
}

/** Production's ROC-AUC on the candidate's holdout rows: the comparison the gate makes. */
async function productionAucOn(registry: ModelRegistry, fit: FitResult): Promise<number | undefined> {
  const production = await registry.alias('production');
  if (!production) return undefined;
  const model = parseModel(await registry.treesJson(production.version));
  return rocAuc(fit.holdout.y, predictProbabilities(model, fit.holdout.x, fit.holdout.nRows));
}

export async function trainAndRegister(
  ctx: Pick<AppContext, 'lake' | 'config'> & { registry(): ModelRegistry },
  log: (line: string) => void,
): Promise<TrainingOutcome> {
  const days = await readLabelledDays(ctx);
  log(`training on ${days.data.nRows.toLocaleString('en-US')} device-days`);
  const fit = fitFailureModel(days);
  const registry = ctx.registry();
  const version = newVersion();
  const card = modelCard(fit, version, registry.modelName);
  await registry.register(card, exportOnnx(fit.model, { modelVersion: version }), serializeModel(fit.model));
  await registry.setAlias('staging', version, { actor: 'training-job', reason: 'newly trained', expected: await registry.alias('staging') });
  const productionAucOnHoldout = await productionAucOn(registry, fit);
  const decision = promotionDecision(fit.metrics.rocAuc, productionAucOnHoldout, ctx.config.PROMOTION_AUC_TOLERANCE);
  if (decision.promote) {
    await registry.setAlias('production', version, { actor: 'training-job', reason: decision.reason, expected: await registry.alias('production') });
  }
  return { card, decision, productionAucOnHoldout };
}
