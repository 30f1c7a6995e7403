import type { TableClient } from '@azure/data-tables';
import { FEATURE_NAMES } from '../features/deviceFeatures.js';
import type { Lake, LakeTable } from '../lake/lake.js';
import { DEVICE_FEATURES, shardLabel } from '../pipeline/goldTables.js';
import { riskOf } from '../registry/card.js';
import type { ColumnSpec, Row } from '../sources/schema.js';
import type { RunLedger } from '../state/runs.js';
import { scoreRows, topFactors, type LoadedModel } from './loadedModel.js';

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
  /** The production model, loaded (and cached) by the caller; undefined when none is promoted. */
  production(): Promise<LoadedModel | undefined>;
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
    const model = await deps.production();
    if (!model) throw new Error('No production model to score with: run `lims-mlops train` first');
    const features = await deps.lake.readRows(DEVICE_FEATURES, { feature_date: work.scoreDate, shard: shardLabel(work.shard) });
    const width = FEATURE_NAMES.length;
    const x = new Float32Array(features.length * width);
    features.forEach((row, r) => FEATURE_NAMES.forEach((name, f) => (x[r * width + f] = row[name] as number)));
    const probabilities = await scoreRows(model, x, features.length);
    const predictions: Row[] = features.map((row, r) => {
      const probability = probabilities[r]!;
      const risk = riskOf(probability, model.card.thresholds);
      // Explanations (TreeSHAP, about a millisecond a device) for the devices anyone will look at.
      const factors = risk.risk_level === 'LOW' ? [] : topFactors(model, x.subarray(r * width, (r + 1) * width));
      return { device_id: String(row.device_id), probability, ...risk, model_version: model.version, top_factors: JSON.stringify(factors) };
    });
    await deps.lake.writePartition(DEVICE_RISK, { score_date: work.scoreDate, shard: shardLabel(work.shard) }, `score-${work.scoreDate}`, predictions);
    const high = predictions.filter((p) => p.risk_level === 'HIGH');
    await Promise.all(high.map((p) => recordHighRisk(deps.alerts, work.scoreDate, p)));
    await run.succeed({ rowsIn: features.length, rowsOut: predictions.length });
    return { devices: predictions.length, high: high.length, modelVersion: model.version };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
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
