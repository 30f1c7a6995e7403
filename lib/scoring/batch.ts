import type { TableClient } from '@azure/data-tables';
import type { Lake, LakeTable } from '../lake/lake.js';
import { DEVICE_FEATURES, shardLabel } from '../pipeline/goldTables.js';
import { riskOf } from '../registry/card.js';
import type { ColumnSpec, Row } from '../sources/schema.js';
import type { RunLedger } from '../state/runs.js';
import * as ort from 'onnxruntime-node';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../ml/onnx.js';
import type { ServingModel } from '../serving/modelCache.js';

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
    const features = await deps.lake.readRows(DEVICE_FEATURES, { feature_date: work.scoreDate, shard: shardLabel(work.shard) });
    const predictions = await deps.withProductionModel((model) => predict(model, features));
    await deps.lake.writePartition(DEVICE_RISK, { score_date: work.scoreDate, shard: shardLabel(work.shard) }, `score-${work.scoreDate}`, predictions);
    const high = predictions.filter((p) => p.risk_level === 'HIGH');
    await Promise.all(high.map((p) => recordHighRisk(deps.alerts, work.scoreDate, p)));
    await run.succeed({ rowsIn: features.length, rowsOut: predictions.length });
    return { devices: predictions.length, high: high.length, modelVersion: String(predictions[0]?.model_version ?? '') };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

/** Probabilities in one ONNX run; explanations for the devices anyone will look at (not LOW). */
async function predict(model: ServingModel, features: readonly Row[]): Promise<Row[]> {
  if (features.length === 0) return [];
  const width = model.inputs.length;
  const x = new Float32Array(features.length * width);
  features.forEach((row, r) => model.inputs.forEach((name, f) => (x[r * width + f] = row[name] as number)));
  const output = await model.session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', x, [features.length, width]) });
  const probabilities = output[ONNX_OUTPUT_NAME]!.data as Float32Array;
  return features.map((row, r) => {
    const probability = probabilities[r]!;
    const risk = riskOf(probability, model.thresholds);
    return { device_id: String(row.device_id), probability, ...risk, model_version: model.version, top_factors: JSON.stringify(risk.risk_level === 'LOW' ? [] : topFactors(model, x, r)) };
  });
}

function topFactors(model: ServingModel, x: Float32Array, row: number, top = 3): { feature: string; value: number; contribution: number }[] {
  const width = model.inputs.length;
  const explanation = model.explain(x, row * width);
  return model.inputs
    .map((feature, f) => ({ feature, value: x[row * width + f]!, contribution: explanation.contributions[f]! }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, top);
}

/** An alert event for the alerting stage to deliver (issue: alerts). */
async function recordHighRisk(alerts: TableClient, scoreDate: string, prediction: Row): Promise<void> {
  await alerts.upsertEntity(
    {
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
      recordedAt: new Date().toISOString(),
    },
    'Replace',
  );
}

/** The daily timer's fan-out: every shard of the latest feature day. */
export function scoreWorkFor(scoreDate: string, shards: number): ScoreWork[] {
  return Array.from({ length: shards }, (_, shard) => ({ scoreDate, shard }));
}
