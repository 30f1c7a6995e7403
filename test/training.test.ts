import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { loadConfig } from '../lib/config/config.js';
import { FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { syntheticDeviceDays } from '../lib/ml/synthetic.js';
import { isoDay } from '../lib/pipeline/gold.js';
import { DEVICE_FEATURES } from '../lib/pipeline/goldTables.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { TABLES } from '../lib/platform/resources.js';
import { DEVICE_RISK, scoreShard } from '../lib/scoring/batch.js';
import type { Row } from '../lib/sources/schema.js';
import { trainAndRegister } from '../lib/training/job.js';
import { startTestStorage } from './support/storage.js';

let azurite: EmbeddedAzurite;
let ctx: AppContext;
const DAYS = 70;
const synthetic = syntheticDeviceDays({ devices: 120, days: DAYS, seed: 5 });

/**
 * Writes the synthetic device-days as gold device_features (one shard). With `corruptTraining`,
 * the labels of every day before the holdout are scrambled: the model learns noise, while the
 * holdout (the newest 14 days, where both models are compared) keeps its true labels.
 */
async function writeFeatures(corruptTraining: boolean): Promise<void> {
  const { dataset, featureDay } = synthetic;
  const holdoutStart = featureDay[featureDay.length - 1]! - 13 * 86_400_000;
  const byDay = new Map<number, Row[]>();
  for (let r = 0; r < dataset.nRows; r++) {
    const row: Row = { device_id: `DEV${r % 120}` };
    FEATURE_NAMES.forEach((name, f) => (row[name] = dataset.x[r * FEATURE_NAMES.length + f]!));
    const scramble = corruptTraining && featureDay[r]! < holdoutStart;
    row.failure_within_7d = scramble ? dataset.y[(r * 7919 + 13) % dataset.nRows]! : dataset.y[r]!;
    row.label_observed = 1;
    const day = featureDay[r]!;
    byDay.set(day, [...(byDay.get(day) ?? []), row]);
  }
  await Promise.all([...byDay].map(([day, rows]) => ctx.lake.writePartition(DEVICE_FEATURES, { feature_date: isoDay(day), shard: '00' }, 'test', rows)));
}

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  ctx = createAppContext(loadConfig({ GOLD_SHARDS: '1', PROMOTION_AUC_TOLERANCE: '0.02' }), started.storage);
});
afterAll(async () => {
  await ctx.close();
  await azurite.stop();
});

describe('training job, promotion gate and batch scoring', () => {
  it('promotes the first model, refuses a worse one, and scores a shard with the production model', async () => {
    await writeFeatures(false);
    const first = await trainAndRegister(ctx, () => undefined);
    expect(first.decision.promote).toBe(true);
    expect(first.card.metrics.roc_auc).toBeGreaterThan(0.85);
    expect(first.card.features.map((f) => f.name)).toEqual([...FEATURE_NAMES]);
    expect((await ctx.registry().alias('production'))?.version).toBe(first.card.version);

    await writeFeatures(true);
    const worse = await trainAndRegister(ctx, () => undefined);
    expect(worse.decision.promote).toBe(false);
    expect(worse.decision.reason).toContain('refused');
    expect((await ctx.registry().alias('production'))?.version).toBe(first.card.version);
    expect((await ctx.registry().alias('staging'))?.version).toBe(worse.card.version);

    const lastDay = isoDay(synthetic.featureDay[synthetic.featureDay.length - 1]!);
    const result = await scoreShard(
      { lake: ctx.lake, ledger: ctx.ledger, alerts: ctx.storage.table(TABLES.alerts), withProductionModel: (work) => ctx.models().use(work) },
      { scoreDate: lastDay, shard: 0 },
    );
    expect(result).toMatchObject({ devices: 120, modelVersion: first.card.version });
    const predictions = await ctx.lake.readRows(DEVICE_RISK, { score_date: lastDay, shard: '00' });
    expect(predictions).toHaveLength(120);
    expect(predictions.some((p) => p.risk_level !== 'LOW')).toBe(true);
    for (const p of predictions) {
      const { high, medium } = first.card.thresholds;
      const probability = p.probability as number;
      expect(p.risk_level).toBe(probability > high ? 'HIGH' : probability > medium ? 'MEDIUM' : 'LOW');
      expect(p.risk_score as number > 80).toBe(p.risk_level === 'HIGH');
      expect(JSON.parse(String(p.top_factors))).toHaveLength(p.risk_level === 'LOW' ? 0 : 3);
    }
    const alerts = [];
    for await (const alert of ctx.storage.table(TABLES.alerts).listEntities()) alerts.push(alert);
    expect(alerts).toHaveLength(predictions.filter((p) => p.risk_level === 'HIGH').length);
  });
});
