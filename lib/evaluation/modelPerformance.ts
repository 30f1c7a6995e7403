import type { AppContext } from '../app/context.js';
import { performanceAlerts, type PerformanceObservation } from '../alerts/rules.js';
import { alertSink, reconcileAlerts } from '../alerts/record.js';
import { failureWithin7Days, type DeviceHistory, type MaintenanceEvent } from '../features/deviceFeatures.js';
import { rocAuc } from '../ml/metrics.js';
import { SILVER_TABLES, SNAPSHOT } from '../pipeline/silverTables.js';
import { TABLES } from '../platform/resources.js';
import type { ModelCard } from '../registry/card.js';
import { DEVICE_RISK } from '../scoring/batch.js';
import type { Row } from '../sources/schema.js';
import { addDays } from '../calendar/days.js';

/**
 * Realised performance of the device-failure model: predictions (predictions/device_risk) made
 * at least 7 days before the latest day with data are joined with what followed, the label of
 * the feature definition (`failureWithin7Days` over silver maintenance_events: an unscheduled
 * failure or repair starting in the 7 days after the prediction day). Per prediction day:
 * precision and recall of the HIGH level and ROC-AUC of the probabilities; the same pooled over
 * the last MODEL_PERFORMANCE_WINDOW_DAYS prediction days of the same model version, which is
 * what is compared with the version's model card: a pooled figure below the card's holdout
 * figure by more than ALERT_PERFORMANCE_MARGIN raises a `model_performance` alert (ROC-AUC and
 * recall once the window holds >= MIN_POSITIVES failures, precision once it holds >= MIN_FLAGGED
 * HIGH predictions). Rows go to the `modelperformance` table, PartitionKey `device_failure`,
 * RowKey `<prediction day>_<model version>`.
 */
export const OUTCOME_DAYS = 7;
export const MIN_POSITIVES = 5;
export const MIN_FLAGGED = 5;

export interface Metrics {
  readonly predictions: number;
  readonly positives: number;
  readonly flagged: number;
  readonly truePositives: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly rocAuc: number | null;
}

export interface PerformanceDay {
  readonly day: string;
  readonly modelVersion: string;
  readonly daily: Metrics;
  readonly window: Metrics & { readonly days: number };
  readonly card: { readonly rocAuc: number | null; readonly precision: number | null; readonly recall: number | null };
  /** Metrics of the pooled window below the card by more than the margin. */
  readonly belowCard: readonly string[];
}

interface Scored {
  readonly probability: number;
  readonly high: boolean;
  readonly label: 0 | 1;
}

export function metricsOf(rows: readonly Scored[]): Metrics {
  const positives = rows.filter((r) => r.label === 1).length;
  const flagged = rows.filter((r) => r.high).length;
  const truePositives = rows.filter((r) => r.high && r.label === 1).length;
  const auc = positives > 0 && positives < rows.length ? rocAuc(Uint8Array.from(rows, (r) => r.label), Float64Array.from(rows, (r) => r.probability)) : NaN;
  return {
    predictions: rows.length,
    positives,
    flagged,
    truePositives,
    precision: flagged > 0 ? truePositives / flagged : null,
    recall: positives > 0 ? truePositives / positives : null,
    rocAuc: Number.isFinite(auc) ? auc : null,
  };
}

function eventsByDevice(events: readonly Row[]): Map<string, MaintenanceEvent[]> {
  const out = new Map<string, MaintenanceEvent[]>();
  for (const e of events) {
    if (typeof e.started_at !== 'number') continue;
    const id = String(e.device_id);
    out.set(id, [...(out.get(id) ?? []), { event_type: String(e.event_type), started_at: e.started_at }]);
  }
  return out;
}

/** The label of a prediction of `day` for a device, from its maintenance events. */
function labelOf(events: readonly MaintenanceEvent[] | undefined, day: string): 0 | 1 {
  const history: DeviceHistory = {
    device: { device_id: '', installed_at: 0, calibration_interval_days: 0, maintenance_interval_days: 0 },
    days: new Map(),
    events: events ?? [],
  };
  return failureWithin7Days(history, Date.parse(`${day}T00:00:00Z`));
}

async function predictionsOf(ctx: Pick<AppContext, 'lake'>, day: string, shards: readonly Record<string, string>[]): Promise<Row[]> {
  const parts = await Promise.all(shards.filter((p) => p.score_date === day).map((p) => ctx.lake.readRows(DEVICE_RISK, p, ['device_id', 'probability', 'risk_level', 'model_version'])));
  return parts.flat();
}

export interface PerformanceRun {
  readonly latestDay: string | null;
  /** Newest prediction day whose outcomes are known (<= latest day - 7). */
  readonly lastEvaluable: string | null;
  readonly predictionDays: number;
  readonly evaluated: readonly PerformanceDay[];
  readonly alerts: number;
}

/**
 * Evaluates every prediction day whose outcomes are known and that the table does not hold yet
 * (all of them with `force`), writes their rows, and alerts on the newest one.
 */
export async function realisedPerformance(ctx: AppContext, options: { force?: boolean; alerts?: boolean } = {}): Promise<PerformanceRun> {
  const latest = (await ctx.horizon.latestDay()) ?? null;
  const partitions = await ctx.lake.listPartitions(DEVICE_RISK);
  const predictionDays = [...new Set(partitions.map((p) => p.score_date).filter((d): d is string => typeof d === 'string'))].sort();
  const lastEvaluable = latest ? addDays(latest, -OUTCOME_DAYS) : null;
  const empty = { latestDay: latest, lastEvaluable, predictionDays: predictionDays.length, evaluated: [], alerts: 0 };
  if (!lastEvaluable) return empty;
  const evaluable = predictionDays.filter((d) => d <= lastEvaluable);
  const table = ctx.storage.table(TABLES.modelPerformance);
  const done = new Set<string>();
  if (!options.force) {
    for await (const e of table.listEntities<{ day: string }>({ queryOptions: { select: ['day'] } })) done.add(e.day);
  }
  const todo = evaluable.filter((d) => !done.has(d));
  if (todo.length === 0) return empty;
  const run = await ctx.ledger.start('model-performance', `${todo[0]}..${todo[todo.length - 1]}`);
  try {
    const events = eventsByDevice(await ctx.lake.readRows(SILVER_TABLES.maintenance_events, SNAPSHOT));
    const window = ctx.config.MODEL_PERFORMANCE_WINDOW_DAYS;
    const cache = new Map<string, { version: string; rows: Scored[] }[]>();
    const scoredOf = async (day: string) => {
      let got = cache.get(day);
      if (!got) {
        const byVersion = new Map<string, Scored[]>();
        for (const p of await predictionsOf(ctx, day, partitions)) {
          const version = String(p.model_version);
          byVersion.set(version, [...(byVersion.get(version) ?? []), { probability: Number(p.probability), high: p.risk_level === 'HIGH', label: labelOf(events.get(String(p.device_id)), day) }]);
        }
        cache.set(day, (got = [...byVersion].map(([version, rows]) => ({ version, rows }))));
      }
      return got;
    };
    const cards = new Map<string, ModelCard | null>();
    const cardOf = async (version: string) => {
      if (!cards.has(version)) cards.set(version, await ctx.registry().card(version).catch(() => null));
      return cards.get(version)!;
    };
    const margin = ctx.config.ALERT_PERFORMANCE_MARGIN;
    const evaluated: PerformanceDay[] = [];
    for (const day of todo) {
      for (const { version, rows } of await scoredOf(day)) {
        const windowDays = evaluable.filter((d) => d <= day && d > addDays(day, -window));
        const pooled: Scored[] = [];
        for (const d of windowDays) for (const part of await scoredOf(d)) if (part.version === version) for (const row of part.rows) pooled.push(row);
        const w = metricsOf(pooled);
        const card = await cardOf(version);
        const c = { rocAuc: card?.metrics.roc_auc ?? null, precision: card?.metrics.precision ?? null, recall: card?.metrics.recall ?? null };
        const below: string[] = [];
        if (w.positives >= MIN_POSITIVES && w.rocAuc !== null && c.rocAuc !== null && w.rocAuc < c.rocAuc - margin) below.push('roc_auc');
        if (w.positives >= MIN_POSITIVES && w.recall !== null && c.recall !== null && w.recall < c.recall - margin) below.push('recall');
        if (w.flagged >= MIN_FLAGGED && w.precision !== null && c.precision !== null && w.precision < c.precision - margin) below.push('precision');
        evaluated.push({ day, modelVersion: version, daily: metricsOf(rows), window: { ...w, days: windowDays.length }, card: c, belowCard: below });
      }
    }
    await writeRows(ctx, evaluated);
    let alerts = 0;
    if (options.alerts !== false) {
      const newest = evaluated.filter((e) => e.day === todo[todo.length - 1]);
      const observations: PerformanceObservation[] = newest.flatMap((e) =>
        e.belowCard.map((metric) => ({
          day: e.day,
          metric,
          realised: metric === 'roc_auc' ? e.window.rocAuc! : metric === 'recall' ? e.window.recall! : e.window.precision!,
          card: metric === 'roc_auc' ? e.card.rocAuc! : metric === 'recall' ? e.card.recall! : e.card.precision!,
          modelVersion: e.modelVersion,
        })),
      );
      const firing = performanceAlerts(observations, ctx.config, 'monitoring/performance');
      await reconcileAlerts(alertSink(ctx), 'model_performance', firing, { day: todo[todo.length - 1]!, source: 'monitoring/performance' });
      alerts = firing.length;
    }
    await run.succeed({ rowsIn: evaluated.reduce((a, e) => a + e.daily.predictions, 0), rowsOut: evaluated.length });
    return { latestDay: latest, lastEvaluable, predictionDays: predictionDays.length, evaluated, alerts };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

async function writeRows(ctx: AppContext, days: readonly PerformanceDay[]): Promise<void> {
  const evaluatedAt = new Date().toISOString();
  const put = (e: Record<string, unknown>, key: string, v: number | null) => {
    if (v !== null && Number.isFinite(v)) e[key] = v;
  };
  await Promise.all(
    days.map((d) => {
      const e: Record<string, unknown> = {
        partitionKey: 'device_failure',
        rowKey: `${d.day}_${d.modelVersion}`,
        day: d.day,
        model_version: d.modelVersion,
        predictions: d.daily.predictions,
        positives: d.daily.positives,
        flagged: d.daily.flagged,
        true_positives: d.daily.truePositives,
        window_days: d.window.days,
        window_predictions: d.window.predictions,
        window_positives: d.window.positives,
        window_flagged: d.window.flagged,
        below_card: d.belowCard.join(','),
        evaluated_at: evaluatedAt,
      };
      put(e, 'precision', d.daily.precision);
      put(e, 'recall', d.daily.recall);
      put(e, 'roc_auc', d.daily.rocAuc);
      put(e, 'window_precision', d.window.precision);
      put(e, 'window_recall', d.window.recall);
      put(e, 'window_roc_auc', d.window.rocAuc);
      put(e, 'card_precision', d.card.precision);
      put(e, 'card_recall', d.card.recall);
      put(e, 'card_roc_auc', d.card.rocAuc);
      return ctx.storage.table(TABLES.modelPerformance).upsertEntity(e as { partitionKey: string; rowKey: string }, 'Replace');
    }),
  );
}
