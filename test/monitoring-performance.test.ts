import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFunction, type TimerFunction } from '../lib/app/catalog.js';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { loadConfig } from '../lib/config/config.js';
import { metricsOf, realisedPerformance } from '../lib/evaluation/modelPerformance.js';
import { SILVER_TABLES, SNAPSHOT } from '../lib/pipeline/silverTables.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { TABLES } from '../lib/platform/resources.js';
import type { ModelCard } from '../lib/registry/card.js';
import { DEVICE_RISK } from '../lib/scoring/batch.js';
import type { Row } from '../lib/sources/schema.js';
import { startTestStorage } from './support/storage.js';

/**
 * Realised performance over the lake: 40 devices scored daily for 20 days by two model versions
 * (a good one that foresees the failures in silver maintenance_events, and a useless one),
 * each compared with its card. Real Azurite, predictions as batch scoring writes them.
 */
let azurite: EmbeddedAzurite;
let ctx: AppContext;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);
const date = (i: number) => new Date(T0 + i * DAY).toISOString().slice(0, 10);
const DEVICES = Array.from({ length: 40 }, (_, i) => `DEV${String(i).padStart(2, '0')}`);
/** Device k fails on day 4 + k (devices 0-9, one a day from day 4 to 13); the others never. */
const failureDay = (k: number) => (k < 10 ? 4 + k : null);

function card(version: string, metrics: Record<string, number>): ModelCard {
  return {
    name: 'device-failure',
    version,
    created: new Date(T0).toISOString(),
    codeVersion: 'test',
    trainingWindow: { from: '2026-01-01', to: '2026-02-01' },
    rowCounts: { train: 1, validation: 1, holdout: 1 },
    dataHash: 'x',
    features: [],
    label: 'failure_within_7d',
    hyperparameters: {},
    metrics,
    calibration: {},
    thresholds: { high: 0.8, medium: 0.5 },
  };
}

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  ctx = createAppContext(loadConfig({ MODEL_PERFORMANCE_WINDOW_DAYS: '5' }), started.storage);
  await ctx.registry().register(card('good', { roc_auc: 0.9, precision: 0.5, recall: 0.6 }), new Uint8Array([0]), '{}');
  await ctx.registry().register(card('useless', { roc_auc: 0.9, precision: 0.5, recall: 0.6 }), new Uint8Array([0]), '{}');
  const events: Row[] = [];
  DEVICES.forEach((device, k) => {
    const f = failureDay(k);
    if (f === null) return;
    const at = T0 + f * DAY + 10 * 3_600_000;
    events.push({ event_id: `F${k}`, device_id: device, event_type: 'failure', started_at: at, ended_at: at + 3_600_000, modified_at: at });
    events.push({ event_id: `R${k}`, device_id: device, event_type: 'repair', started_at: at + 1_800_000, ended_at: at + 3_600_000, modified_at: at });
    events.push({ event_id: `C${k}`, device_id: device, event_type: 'calibration', started_at: at - 5 * DAY, ended_at: at - 5 * DAY, modified_at: at });
  });
  await ctx.lake.writePartition(SILVER_TABLES.maintenance_events, SNAPSHOT, 'test', events);
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    // Days 0-9 scored by the good model (it sees failures up to 7 days ahead), days 10-19 by the useless one.
    const version = i < 10 ? 'good' : 'useless';
    const rows = DEVICES.map((device, k) => {
      const f = failureDay(k);
      const soon = f !== null && f > i && f <= i + 7;
      const probability = version === 'good' ? (soon ? 0.9 - 0.01 * k : 0.05 + 0.001 * k) : ((k * 37 + i * 11) % 100) / 100;
      return { device_id: device, probability, risk_score: Math.round(probability * 100), risk_level: probability > 0.8 ? 'HIGH' : probability > 0.5 ? 'MEDIUM' : 'LOW', model_version: version, top_factors: '[]' };
    });
    writes.push(ctx.lake.writePartition(DEVICE_RISK, { score_date: date(i), shard: '00' }, 'test', rows.slice(0, 20)));
    writes.push(ctx.lake.writePartition(DEVICE_RISK, { score_date: date(i), shard: '01' }, 'test', rows.slice(20)));
  }
  await Promise.all(writes);
});
afterAll(async () => {
  await ctx.close();
  await azurite.stop();
});

async function rows(): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const e of ctx.storage.table(TABLES.modelPerformance).listEntities()) out.push(e);
  return out.sort((a, b) => String(a.rowKey).localeCompare(String(b.rowKey)));
}

describe('realised model performance', () => {
  it('metrics: precision and recall of HIGH, ROC-AUC of the probabilities', () => {
    const m = metricsOf([
      { probability: 0.9, high: true, label: 1 },
      { probability: 0.85, high: true, label: 0 },
      { probability: 0.3, high: false, label: 1 },
      { probability: 0.1, high: false, label: 0 },
    ]);
    expect(m).toEqual({ predictions: 4, positives: 2, flagged: 2, truePositives: 1, precision: 0.5, recall: 0.5, rocAuc: 0.75 });
    expect(metricsOf([{ probability: 0.2, high: false, label: 0 }])).toMatchObject({ precision: null, recall: null, rocAuc: null });
  });

  it('evaluates only prediction days whose 7 days of outcomes are known', async () => {
    await ctx.horizon.advanceTo(date(12));
    const run = await realisedPerformance(ctx);
    expect(run.lastEvaluable).toBe(date(5));
    expect(run.evaluated.map((e) => e.day)).toEqual([0, 1, 2, 3, 4, 5].map(date));
    const first = run.evaluated[0]!;
    // Day 0: devices failing on days 4-7 (k = 0..3) are the positives; the good model flags exactly them.
    expect(first.daily).toMatchObject({ predictions: 40, positives: 4, flagged: 4, truePositives: 4, precision: 1, recall: 1, rocAuc: 1 });
    expect(first.belowCard).toEqual([]);
    expect((await rows()).map((r) => r.rowKey)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `${date(i)}_good`));
    // A second run has nothing new.
    expect((await realisedPerformance(ctx)).evaluated).toEqual([]);
  });

  it('the daily timer evaluates the new days, and a model below its card raises an alert event', async () => {
    await ctx.horizon.advanceTo(date(19));
    const timer = findFunction('modelPerformanceDaily') as TimerFunction;
    expect(timer.trigger).toEqual({ kind: 'timer', scheduleSetting: 'MODEL_PERFORMANCE_SCHEDULE' });
    await timer.handler(ctx);
    const table = await rows();
    expect(table.map((r) => r.day)).toEqual(Array.from({ length: 13 }, (_, i) => date(i)));
    // Day 12, the useless model: its window pools days 10-12 (same version), 6 failures ahead.
    const last = table[table.length - 1]!;
    expect(last).toMatchObject({ rowKey: `${date(12)}_useless`, model_version: 'useless', window_days: 5, window_positives: 6, card_roc_auc: 0.9, card_recall: 0.6 });
    expect(String(last.below_card).split(',')).toContain('roc_auc');
    expect(table.filter((r) => r.model_version === 'good').every((r) => r.below_card === '')).toBe(true);
    const alerts: Record<string, unknown>[] = [];
    for await (const e of ctx.storage.table(TABLES.alerts).listEntities()) alerts.push(e);
    const performance = alerts.filter((a) => a.kind === 'model_performance');
    expect(performance.map((a) => a.subject)).toContain('useless/roc_auc');
    expect(performance.every((a) => a.severity === 'MEDIUM' && a.day === date(12))).toBe(true);
    expect(JSON.parse(String(performance.find((a) => a.subject === 'useless/roc_auc')!.details))).toMatchObject({ metric: 'roc_auc', card: 0.9, model_version: 'useless' });
  });
});
