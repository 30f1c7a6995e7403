import type { TableClient } from '@azure/data-tables';
import type { RiskFactor } from '../alerts/rules.js';
import type { Lake, LakeTable } from '../lake/lake.js';
import { DEVICE_FEATURES, shardLabel } from '../pipeline/goldTables.js';
import { riskOf } from '../registry/card.js';
import type { ColumnSpec, Row } from '../sources/schema.js';
import type { RunLedger } from '../state/runs.js';
import { upsertPartitionEntities } from '../platform/tables.js';
import type { ServingModel } from '../serving/modelCache.js';
import { inputMatrix, onnxProbabilities, topFactors } from '../serving/predict.js';

/** Daily batch scoring: one message per device shard scores its gold features of the day. */
export interface ScoreWork {
  readonly scoreDate: string;
  readonly shard: number;
}

const col = (name: string, type: ColumnSpec['type']): ColumnSpec => ({ name, type });

export const DEVICE_RISK: LakeTable = {
  zone: 'predictions',
  name: 'device_risk',
  columns: [
    col('device_id', 'string'),
    col('probability', 'float64'),
    col('risk_score', 'int32'),
    col('risk_level', 'string'),
    col('model_version', 'string'),
    /** JSON array of {feature, value, contribution}, largest |contribution| first; empty for LOW risk. */
    col('top_factors', 'string'),
  ],
};

export interface ScoringDeps {
  readonly lake: Lake;
  readonly ledger: RunLedger;
  readonly alerts: TableClient;
  /** Runs `work` with the production model (the instance's model cache, shared with the online API). */
  withProductionModel<T>(work: (model: ServingModel) => Promise<T>): Promise<T>;
}

export interface ScoreResult {
  readonly devices: number;
  readonly high: number;
  readonly modelVersion: string;
}

/**
 * Scores one shard's device_features of `scoreDate` with the production model, replaces the
 * predictions partition, and records an alert event for each HIGH-risk device (idempotent:
 * one event per device and day).
 */
export async function scoreShard(deps: ScoringDeps, work: ScoreWork): Promise<ScoreResult> {
  const run = await deps.ledger.start('score', `${work.scoreDate}/${shardLabel(work.shard)}`);
  try {
    // The shard is read while a cold instance loads its model (Promise.all observes both failures).
    const reading = deps.lake.readRows(DEVICE_FEATURES, { feature_date: work.scoreDate, shard: shardLabel(work.shard) });
    const [predictions, features] = await Promise.all([deps.withProductionModel(async (model) => predict(model, await reading)), reading]);
    await deps.lake.writePartition(DEVICE_RISK, { score_date: work.scoreDate, shard: shardLabel(work.shard) }, `score-${work.scoreDate}`, predictions);
    const high = predictions.filter((p) => p.risk_level === 'HIGH');
    await recordHighRisk(deps.alerts, work.scoreDate, high);
    await run.succeed({ rowsIn: features.length, rowsOut: predictions.length });
    return { devices: predictions.length, high: high.length, modelVersion: String(predictions[0]?.model_version ?? '') };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

/** Probabilities in one ONNX run over the shard; explanations for the devices anyone will look at (not LOW). */
/** The factors in a device_risk row's top_factors (the JSON `predict` writes); unreadable text gives none. */
export function parseTopFactors(text: unknown): RiskFactor[] {
  if (typeof text !== 'string') return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((f): f is RiskFactor => typeof f === 'object' && f !== null && typeof (f as RiskFactor).feature === 'string') : [];
  } catch {
    return [];
  }
}

async function predict(model: ServingModel, features: readonly Row[]): Promise<Row[]> {
  if (features.length === 0) return [];
  const width = model.inputs.length;
  const x = inputMatrix(model, features);
  const probabilities = await onnxProbabilities(model, x, features.length);
  return features.map((row, r) => {
    const probability = probabilities[r]!;
    const risk = riskOf(probability, model.thresholds);
    const factors = risk.risk_level === 'LOW' ? [] : topFactors(model.inputs, model.inputs.map((name) => row[name] as number), model.explain(x, r * width).contributions);
    return { device_id: String(row.device_id), probability, ...risk, model_version: model.version, top_factors: JSON.stringify(factors) };
  });
}

/** Alert events for the alerting stage to deliver (issue: alerts), one per device and day, in a few requests. */
async function recordHighRisk(alerts: TableClient, scoreDate: string, predictions: readonly Row[]): Promise<void> {
  const recordedAt = new Date().toISOString();
  await upsertPartitionEntities(
    alerts,
    predictions.map((prediction) => ({
      partitionKey: 'high_risk_device',
      rowKey: `${scoreDate}_${prediction.device_id}`,
      kind: 'high_risk_device',
      severity: 'HIGH',
      subject: String(prediction.device_id),
      day: scoreDate,
      riskScore: prediction.risk_score as number,
      probability: prediction.probability as number,
      modelVersion: String(prediction.model_version),
      factors: String(prediction.top_factors),
      recordedAt,
    })),
  );
}

/** The daily timer's fan-out: every shard of the latest feature day. */
export function scoreWorkFor(scoreDate: string, shards: number): ScoreWork[] {
  return Array.from({ length: shards }, (_, shard) => ({ scoreDate, shard }));
}
