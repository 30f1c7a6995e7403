import { odata, type TableClient } from '@azure/data-tables';
import type { AppContext } from '../app/context.js';
import { type AlertKind, type Severity } from '../alerts/events.js';
import { failedUnits, freshness, pipelineClock, runsSince, stageSummary, type StageRuns, type TableFreshness } from '../alerts/health.js';
import { describeFactor, type FailedUnit, type Freshness } from '../alerts/rules.js';
import { AlertStateStore } from '../alerts/state.js';
import { OUTBREAK_SERIES, shardLabel } from '../pipeline/goldTables.js';
import { readBlobText } from '../platform/blobs.js';
import { CONTAINERS, TABLES } from '../platform/resources.js';
import { ParkedMessageLog } from '../queue/parkedMessages.js';
import { DEVICE_RISK, parseTopFactors } from '../scoring/batch.js';
import type { Row } from '../sources/schema.js';
import { addDays, DAY_MS } from '../calendar/days.js';

/**
 * Everything the daily report shows, gathered from storage as plain numbers and labels. No
 * patient-level data is read: device predictions, gold aggregates (test x region x day), alert
 * events, the run ledger, data-quality counts and model cards. What another stage has not
 * produced yet (drift reports, outbreak_signals, model_performance) is read defensively: when
 * absent, the section says so and falls back where a fallback exists.
 */
export interface ReportData {
  readonly date: string;
  /** The last data day the report covers (the day before the report date). */
  readonly dataDay: string;
  readonly generatedAt: string;
  readonly clock: { readonly now: string; readonly kind: 'wall' | 'simulated' };
  readonly risk: RiskSection;
  readonly drift: DriftSection;
  readonly outbreak: OutbreakSection;
  readonly performance: PerformanceSection;
  readonly pipeline: PipelineSection;
  readonly alerts: AlertsSection;
}

export interface RiskSection {
  readonly days: readonly string[];
  readonly rows: readonly { readonly device: string; readonly scores: readonly (number | null)[] }[];
  readonly devicesScored: number;
  readonly latestDay: string | null;
  readonly top: readonly { readonly device: string; readonly riskScore: number; readonly level: string; readonly modelVersion: string; readonly reasons: readonly string[] }[];
  readonly highThreshold: number;
}

export interface DriftSection {
  readonly days: readonly string[];
  readonly calibration: readonly number[];
  readonly data: readonly number[];
  /** Drift reports (monitoring) found in the reports container, by day. */
  readonly reports: readonly { readonly day: string; readonly alertLevel: string | null; readonly devicesWithDrift: number | null }[];
}

export interface OutbreakPanel {
  readonly test: string;
  readonly region: string;
  readonly points: readonly { readonly day: string; readonly value: number | null; readonly threshold: number | null; readonly alarm: boolean }[];
}

export interface OutbreakSection {
  readonly source: 'outbreak_signals' | 'outbreak_series' | 'none';
  readonly measure: string;
  readonly panels: readonly OutbreakPanel[];
  readonly alarms: number;
  /** Days of the window with monitoring's outbreak signals. */
  readonly signalDays: number;
  /** Monitoring's signals of its latest day, alarms first (empty before monitoring runs). */
  readonly latest: readonly { readonly test: string; readonly region: string; readonly day: string; readonly value: number | null; readonly threshold: number | null; readonly alarm: boolean }[];
}

export interface PerformanceSection {
  readonly source: 'model_performance' | 'model_card' | 'none';
  readonly modelVersion: string | null;
  readonly series: readonly { readonly metric: string; readonly points: readonly { readonly day: string; readonly value: number }[]; readonly card: number | null }[];
}

export interface PipelineSection {
  readonly freshness: Freshness;
  readonly targetMinutes: number;
  readonly tables: readonly TableFreshness[];
  readonly stages: readonly StageRuns[];
  readonly failures: readonly FailedUnit[];
  readonly quarantine: readonly { readonly table: string; readonly rowsIn: number; readonly quarantined: number; readonly rules: string }[];
  readonly parked: number;
}

export interface AlertsSection {
  readonly open: readonly { readonly kind: AlertKind; readonly subject: string; readonly severity: Severity; readonly title: string; readonly since: string }[];
}

export const RISK_DAYS = 14;
const DRIFT_DAYS = 30;
const OUTBREAK_DAYS = 28;
const HEATMAP_DEVICES = 25;
const OUTBREAK_PANELS = 6;
const PERFORMANCE_METRICS = ['roc_auc', 'pr_auc', 'precision', 'recall', 'f1', 'accuracy'] as const;

const window = (end: string, days: number): string[] => Array.from({ length: days }, (_, i) => addDays(end, i - days + 1));
const num = (v: unknown): number | null => {
  const x = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
};

/** The report date by default: the pipeline clock's day (the simulated clock for the simulator). */
export function defaultReportDate(ctx: Pick<AppContext, 'config' | 'localDataDir'>): string {
  return pipelineClock(ctx).now.toISOString().slice(0, 10);
}

export async function collectReportData(ctx: AppContext, date: string): Promise<ReportData> {
  const dataDay = addDays(date, -1);
  const clock = pipelineClock(ctx);
  const [risk, drift, outbreak, performance, pipeline, alerts] = await Promise.all([
    riskSection(ctx, dataDay),
    driftSection(ctx, dataDay),
    outbreakSection(ctx, dataDay),
    performanceSection(ctx, dataDay),
    pipelineSection(ctx, clock),
    alertsSection(ctx),
  ]);
  return { date, dataDay, generatedAt: new Date().toISOString(), clock: { now: clock.now.toISOString(), kind: clock.kind }, risk, drift, outbreak, performance, pipeline, alerts };
}

async function shardsOf(ctx: AppContext, scoreDate: string): Promise<string[]> {
  const prefix = `predictions/device_risk/score_date=${scoreDate}/`;
  const shards: string[] = [];
  for await (const item of ctx.lake.container.listBlobsByHierarchy('/', { prefix })) {
    if (item.kind === 'prefix') shards.push(item.name.slice(prefix.length).replace(/\/$/, '').replace(/^shard=/, ''));
  }
  return shards;
}

async function predictionsOn(ctx: AppContext, day: string): Promise<Row[]> {
  const shards = await shardsOf(ctx, day);
  const parts = await Promise.all(
    shards.map(async (shard) => {
      try {
        return await ctx.lake.readRows(DEVICE_RISK, { score_date: day, shard: shard || shardLabel(0) });
      } catch {
        return []; // a partition without a committed manifest (being written) is not there yet
      }
    }),
  );
  return parts.flat();
}

async function riskSection(ctx: AppContext, dataDay: string): Promise<RiskSection> {
  const days = window(dataDay, RISK_DAYS);
  const byDay = await Promise.all(days.map((day) => predictionsOn(ctx, day)));
  const scores = new Map<string, (number | null)[]>();
  byDay.forEach((rows, d) => {
    for (const row of rows) {
      const device = String(row.device_id);
      const list = scores.get(device) ?? Array<number | null>(days.length).fill(null);
      list[d] = num(row.risk_score);
      scores.set(device, list);
    }
  });
  const latestIndex = byDay.map((rows) => rows.length > 0).lastIndexOf(true);
  const latest = latestIndex >= 0 ? byDay[latestIndex]! : [];
  const ranked = [...scores].sort(([, a], [, b]) => (b[latestIndex] ?? -1) - (a[latestIndex] ?? -1) || Math.max(...b.map((v) => v ?? -1)) - Math.max(...a.map((v) => v ?? -1)));
  const top = [...latest]
    .sort((a, b) => (num(b.risk_score) ?? 0) - (num(a.risk_score) ?? 0))
    .slice(0, 10)
    .map((row) => ({
      device: String(row.device_id),
      riskScore: num(row.risk_score) ?? 0,
      level: String(row.risk_level ?? ''),
      modelVersion: String(row.model_version ?? ''),
      reasons: parseTopFactors(row.top_factors).map(describeFactor),
    }));
  return {
    days,
    rows: ranked.slice(0, HEATMAP_DEVICES).map(([device, s]) => ({ device, scores: s })),
    devicesScored: scores.size,
    latestDay: latestIndex >= 0 ? days[latestIndex]! : null,
    top,
    highThreshold: ctx.config.ALERT_RISK_SCORE,
  };
}


/**
 * A table monitoring owns: its name from resources.ts once it is declared there, else the name
 * it is expected to have (Table names are letters and digits only: `outbreak_signals` is
 * stored as `outbreaksignals`).
 */
function otherTable(key: string, fallback: string): string {
  return (TABLES as Readonly<Record<string, string>>)[key] ?? fallback;
}

async function listSafe<T extends object>(table: TableClient, filter?: string): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const e of table.listEntities<T>(filter ? { queryOptions: { filter } } : {})) out.push(e as T);
  } catch (error) {
    // A table another stage has not created yet (or cannot exist under that name) reads as empty.
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 404 || status === 400) return [];
    throw error;
  }
  return out;
}

async function driftSection(ctx: AppContext, dataDay: string): Promise<DriftSection> {
  const days = window(dataDay, DRIFT_DAYS);
  const alerts = ctx.storage.table(TABLES.alerts);
  const count = async (kind: AlertKind): Promise<number[]> => {
    const rows = await listSafe<{ day?: string; status?: string }>(alerts, odata`PartitionKey eq ${kind} and RowKey ge ${days[0]!} and RowKey lt ${`${dataDay}_\uffff`}`);
    return days.map((day) => rows.filter((r) => r.day === day && r.status !== 'resolved').length);
  };
  const [calibration, data, reports] = await Promise.all([count('calibration_drift'), count('data_drift'), driftReports(ctx, days)]);
  return { days, calibration, data, reports };
}

/** Monitoring's drift reports: JSON blobs in the reports container (not under daily/), read defensively. */
async function driftReports(ctx: AppContext, days: readonly string[]): Promise<DriftSection['reports']> {
  const container = ctx.storage.container(CONTAINERS.reports);
  const wanted = new Set(days);
  const found = new Map<string, DriftSection['reports'][number]>();
  try {
    for await (const blob of container.listBlobsFlat({ prefix: 'drift' })) {
      if (!blob.name.endsWith('.json')) continue;
      const dayInName = /(\d{4}-\d{2}-\d{2})(?!.*\d{4}-\d{2}-\d{2})/.exec(blob.name)?.[1];
      if (dayInName && !wanted.has(dayInName)) continue;
      if ((blob.properties.contentLength ?? 0) > 20_000_000) continue;
      try {
        const json = JSON.parse(await readBlobText(container.getBlobClient(blob.name))) as Record<string, unknown>;
        const summary = (json.summary ?? {}) as Record<string, unknown>;
        const period = (json.current ?? json.current_period ?? {}) as Record<string, unknown>;
        const day = [json.day, json.date, json.current_end, period.end, dayInName, json.generated_at].map((v) => (typeof v === 'string' ? v.slice(0, 10) : undefined)).find((v) => v && wanted.has(v));
        if (!day) continue;
        found.set(day, {
          day,
          alertLevel: typeof json.alert_level === 'string' ? json.alert_level : null,
          devicesWithDrift: num(summary.devices_with_drift),
        });
      } catch {
        // Not a drift report we can read: skipped.
      }
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return [...found.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/**
 * Rows of a table another stage owns, from `from` to `to`, without knowing its key design: the
 * first filter that finds rows wins (partitioned by day, or a day column under a usual name).
 */
async function recentRows(table: TableClient, from: string, to: string): Promise<Record<string, unknown>[]> {
  const candidates = [
    `PartitionKey ge '${from}' and PartitionKey le '${to}\uffff'`,
    ...['day', 'date', 'series_date', 'signal_date', 'score_date', 'evaluated_date'].map((column) => `${column} ge '${from}' and ${column} le '${to}\uffff'`),
  ];
  for (const filter of candidates) {
    const rows = await listSafe<Record<string, unknown>>(table, filter);
    if (rows.length > 0) return rows;
  }
  return [];
}

const pick = (e: Record<string, unknown>, ...names: string[]): unknown => names.map((name) => e[name]).find((v) => v !== undefined && v !== null && v !== '');

async function outbreakSection(ctx: AppContext, dataDay: string): Promise<OutbreakSection> {
  const days = window(dataDay, OUTBREAK_DAYS);
  const signals = await outbreakSignals(ctx, days);
  const signalDays = new Set(signals.flatMap((p) => p.points.map((x) => x.day))).size;
  const latest = latestSignals(signals);
  // Charted from monitoring's signals once they span a week; before that (a new installation)
  // the gold positivity series shows the trend, and the latest signals are listed beside it.
  if (signalDays >= MIN_SIGNAL_DAYS) return { source: 'outbreak_signals', measure: 'signal value against the method threshold', panels: signals.slice(0, OUTBREAK_PANELS), alarms: countAlarms(signals), signalDays, latest };
  const series = await outbreakSeries(ctx, days);
  if (series.length > 0) return { source: 'outbreak_series', measure: 'daily positivity; threshold = mean + 2 SD of the first 21 days', panels: series, alarms: countAlarms(series), signalDays, latest };
  if (signals.length > 0) return { source: 'outbreak_signals', measure: 'signal value against the method threshold', panels: signals.slice(0, OUTBREAK_PANELS), alarms: countAlarms(signals), signalDays, latest };
  return none();
}

const MIN_SIGNAL_DAYS = 7;

/** The newest day's signals, alarms first. */
function latestSignals(panels: readonly OutbreakPanel[]): OutbreakSection['latest'] {
  const day = panels.flatMap((p) => p.points.map((x) => x.day)).sort().pop();
  if (!day) return [];
  return panels
    .flatMap((p) => p.points.filter((x) => x.day === day).map((x) => ({ test: p.test, region: p.region, day, value: x.value, threshold: x.threshold, alarm: x.alarm })))
    .sort((a, b) => Number(b.alarm) - Number(a.alarm) || (b.value ?? 0) - (a.value ?? 0))
    .slice(0, 10);
}

const none = (): OutbreakSection => ({ source: 'none', measure: '', panels: [], alarms: 0, signalDays: 0, latest: [] });
const countAlarms = (panels: readonly OutbreakPanel[]): number => panels.reduce((sum, p) => sum + p.points.filter((x) => x.alarm).length, 0);

/** Methods whose value and threshold are on the scale of the day's count, preferred for the chart. */
const SIGNAL_METHODS = ['ears_c2', 'ears_c1', 'ears_c3', 'farrington', 'cusum'] as const;

/**
 * Monitoring's outbreak signals table, read without depending on its exact columns: a row
 * needs a test, a region (or all), a day, and a value; a threshold and an alarm are used when
 * present, either plain (`value`, `threshold`, `alarm`) or per method (`ears_c2_value`,
 * `ears_c2_threshold`, ...; the first method with both is charted).
 */
async function outbreakSignals(ctx: AppContext, days: readonly string[]): Promise<OutbreakPanel[]> {
  const rows = await recentRows(ctx.storage.table(otherTable('outbreakSignals', 'outbreaksignals')), days[0]!, days[days.length - 1]!);
  const panels = new Map<string, { test: string; region: string; method: string | null; points: Map<string, OutbreakPanel['points'][number]> }>();
  for (const e of rows) {
    const day = String(pick(e, 'day', 'date', 'series_date', 'signal_date', 'partitionKey') ?? '').slice(0, 10);
    if (!days.includes(day)) continue;
    const test = pick(e, 'test', 'loinc_name', 'loinc_code', 'test_code');
    const method = SIGNAL_METHODS.find((m) => num(e[`${m}_value`]) !== null && num(e[`${m}_threshold`]) !== null) ?? null;
    const value = method ? num(e[`${method}_value`]) : num(pick(e, 'value', 'observed', 'count', 'positives', 'statistic'));
    if (test === undefined || value === null) continue;
    const rawRegion = String(pick(e, 'region', 'region_id') ?? 'all');
    const region = rawRegion === 'ALL' || rawRegion === '*' ? 'all regions' : rawRegion;
    const key = `${test}/${region}`;
    const panel = panels.get(key) ?? { test: String(test), region, method, points: new Map() };
    const threshold = method ? num(e[`${method}_threshold`]) : num(pick(e, 'threshold', 'upper_bound', 'upperbound', 'ucl'));
    const flagged = pick(e, 'alarm', 'is_alarm', 'signal');
    const alarm = flagged === true || (method !== null && e[`${method}_alarm`] === true) || (flagged === undefined && threshold !== null && value > threshold);
    panel.points.set(day, { day, value, threshold, alarm });
    panels.set(key, panel);
  }
  return [...panels.values()]
    .map((p) => ({ test: p.method ? `${p.test} (${p.method.replace('_', ' ').toUpperCase()})` : p.test, region: p.region, points: [...p.points.values()].sort((a, b) => a.day.localeCompare(b.day)) }))
    .sort((a, b) => countAlarms([b]) - countAlarms([a]) || Number(b.region === 'all regions') - Number(a.region === 'all regions') || sum(b) - sum(a));
}

const sum = (p: OutbreakPanel): number => p.points.reduce((s, x) => s + (x.value ?? 0), 0);

async function outbreakSeries(ctx: AppContext, days: readonly string[]): Promise<OutbreakPanel[]> {
  const perKey = new Map<string, { test: string; region: string; tests: number[]; positives: number[] }>();
  await Promise.all(
    days.map(async (day, d) => {
      let rows: Row[];
      try {
        rows = await ctx.lake.readRows(OUTBREAK_SERIES, { series_date: day });
      } catch {
        return;
      }
      for (const row of rows) {
        const test = String(row.loinc_name ?? row.loinc_code);
        const region = String(row.region ?? 'unknown');
        const key = `${test}\u0000${region}`;
        const entry = perKey.get(key) ?? { test, region, tests: Array<number>(days.length).fill(0), positives: Array<number>(days.length).fill(0) };
        entry.tests[d]! += num(row.tests) ?? 0;
        entry.positives[d]! += num(row.positives) ?? 0;
        perKey.set(key, entry);
      }
    }),
  );
  const baselineDays = Math.min(21, days.length - 7);
  return [...perKey.values()]
    .filter((e) => e.tests.filter((t) => t > 0).length >= Math.min(10, days.length))
    .sort((a, b) => b.tests.reduce((s, x) => s + x, 0) - a.tests.reduce((s, x) => s + x, 0))
    .slice(0, OUTBREAK_PANELS)
    .map((e) => {
      const positivity = e.tests.map((t, i) => (t > 0 ? e.positives[i]! / t : null));
      const base = positivity.slice(0, baselineDays).filter((v): v is number => v !== null);
      const mean = base.reduce((s, v) => s + v, 0) / (base.length || 1);
      const sd = Math.sqrt(base.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, base.length - 1));
      const threshold = base.length >= 5 ? mean + 2 * sd : null;
      return {
        test: e.test,
        region: e.region,
        points: days.map((day, i) => ({ day, value: positivity[i] ?? null, threshold, alarm: i >= baselineDays && threshold !== null && (positivity[i] ?? 0) > threshold })),
      };
    });
}

async function performanceSection(ctx: AppContext, dataDay: string): Promise<PerformanceSection> {
  let card: { version: string; metrics: Readonly<Record<string, number | null>> } | undefined;
  try {
    const alias = await ctx.registry().alias('production');
    if (alias) card = await ctx.registry().card(alias.version);
  } catch {
    card = undefined;
  }
  const from = addDays(dataDay, -89);
  const rows = await recentRows(ctx.storage.table(otherTable('modelPerformance', 'modelperformance')), from, dataDay);
  const points = new Map<string, { day: string; value: number }[]>();
  const cardFromRows = new Map<string, number>();
  for (const e of rows) {
    const day = String(pick(e, 'day', 'date', 'score_date', 'evaluated_date') ?? '').slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day < from || day > dataDay) continue;
    const add = (metric: string, value: number | null): void => {
      if (value !== null) points.set(metric, [...(points.get(metric) ?? []), { day, value }]);
    };
    if (typeof e.metric === 'string') add(e.metric, num(e.value));
    // Pooled over the evaluation window when the row has it (one quiet day is noise), else the day's own.
    else for (const metric of PERFORMANCE_METRICS) add(metric, num(e[`window_${metric}`]) ?? num(e[metric]));
    for (const metric of PERFORMANCE_METRICS) {
      const figure = num(e[`card_${metric}`]);
      if (figure !== null) cardFromRows.set(metric, figure);
    }
  }
  if (points.size > 0) {
    return {
      source: 'model_performance',
      modelVersion: card?.version ?? null,
      series: [...points]
        .filter(([metric]) => (PERFORMANCE_METRICS as readonly string[]).includes(metric) || points.size <= 4)
        .map(([metric, p]) => ({ metric, points: p.sort((a, b) => a.day.localeCompare(b.day)), card: cardFromRows.get(metric) ?? num(card?.metrics[metric]) })),
    };
  }
  if (!card) return { source: 'none', modelVersion: null, series: [] };
  return {
    source: 'model_card',
    modelVersion: card.version,
    series: PERFORMANCE_METRICS.filter((m) => num(card!.metrics[m]) !== null).map((metric) => ({ metric, points: [], card: num(card!.metrics[metric]) })),
  };
}

async function pipelineSection(ctx: AppContext, clock: ReturnType<typeof pipelineClock>): Promise<PipelineSection> {
  const since = new Date(Date.now() - DAY_MS);
  const [fresh, runs, dq, parked] = await Promise.all([
    freshness(ctx, clock),
    runsSince(ctx, since),
    ctx.dqReports.since(since),
    new ParkedMessageLog(ctx.storage.table(TABLES.parked)).list().catch(() => []),
  ]);
  return {
    freshness: fresh.overall,
    targetMinutes: ctx.config.ALERT_FRESHNESS_MINUTES,
    tables: fresh.tables,
    stages: stageSummary(runs),
    failures: failedUnits(runs),
    quarantine: Object.entries(dq).map(([table, r]) => ({
      table,
      rowsIn: r?.rowsIn ?? 0,
      quarantined: r?.quarantined ?? 0,
      rules: Object.entries(r?.failuresByRule ?? {})
        .filter(([, c]) => c > 0)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 3)
        .map(([rule, c]) => `${rule} ${c}`)
        .join(', '),
    })),
    parked: parked.length,
  };
}

async function alertsSection(ctx: AppContext): Promise<AlertsSection> {
  const open = await new AlertStateStore(ctx.storage.table(TABLES.alertState)).open().catch(() => []);
  const rank = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3 } as const;
  return {
    open: open
      .sort((a, b) => rank[a.severity] - rank[b.severity] || a.kind.localeCompare(b.kind) || a.subject.localeCompare(b.subject))
      .map((s) => ({ kind: s.kind, subject: s.subject, severity: s.severity, title: s.title, since: s.firstSeenAt })),
  };
}
