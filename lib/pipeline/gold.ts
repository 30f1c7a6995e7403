import { DAY_MS, FEATURE_LOOKBACK_DAYS, LABEL_HORIZON_DAYS } from '../features/deviceFeatures.js';
import type { Lake, LakeTable, PartitionValues } from '../lake/lake.js';
import type { Row } from '../sources/schema.js';
import type { DataHorizon } from '../state/horizon.js';
import type { RunLedger } from '../state/runs.js';
import { dayMs, isoDay } from './days.js';
import { DEVICE_DAILY, DEVICE_FEATURES, OUTBREAK_SERIES, QC_DAILY, shardLabel, shardOf } from './goldTables.js';
import { deviceDailyRows, deviceFeatureRows, outbreakSeriesRows, qcDailyRows, qcRunsOfDay } from './goldTransforms.js';
import { SILVER_TABLES, SNAPSHOT } from './silverTables.js';

/** A silver day to aggregate (message of the `gold-day` queue). */
export interface DayWork {
  readonly date: string;
}

/** One feature day of one device shard (message of the `gold-features` queue). */
export interface FeatureWork {
  readonly featureDate: string;
  readonly shard: number;
}

export interface GoldDeps {
  readonly lake: Lake;
  readonly ledger: RunLedger;
  readonly shards: number;
  readonly horizon: DataHorizon;
  /** Fan-out of feature work after a day's aggregates changed. */
  readonly enqueueFeatures?: (work: readonly FeatureWork[]) => Promise<void>;
}

/** Days of QC history read before a day, so 2-2s can compare a day's first run with the previous one. */
const QC_LOOKBACK_DAYS = 3;

export { dayMs, isoDay };

function readAll(lake: Lake, table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues, columns?: readonly string[]): Promise<Row[]> {
  return lake.readRows(table, partition, columns);
}

/** Only the silver columns the daily aggregates read: most of a day's bytes are never decoded. */
const RESULT_COLUMNS = ['device_id', 'received_at', 'resulted_at', 'result_text', 'loinc_code', 'loinc_name', 'region'];
const LOG_COLUMNS = ['device_id', 'level'];
const QC_COLUMNS = ['device_id', 'test_code', 'loinc_code', 'control_level', 'measured_value', 'target_mean', 'target_sd', 'run_at'];

/** Feature days whose inputs include `fromDay`..`toDay`, bounded by the data. */
export function featureWorkFor(fromDay: number, toDay: number, latestDay: number, shards: number): FeatureWork[] {
  const work: FeatureWork[] = [];
  for (let day = fromDay; day <= Math.min(toDay, latestDay); day += DAY_MS) {
    for (let shard = 0; shard < shards; shard++) work.push({ featureDate: isoDay(day), shard });
  }
  return work;
}

/**
 * Gold aggregates of one silver day: device_daily, qc_daily and outbreak_series, each
 * partition replaced whole; then the feature days that read this day are fanned out.
 */
export async function goldForDay(deps: GoldDeps, work: DayWork): Promise<{ deviceDays: number; qcGroups: number; series: number }> {
  const run = await deps.ledger.start('gold-day', work.date);
  try {
    const day = dayMs(work.date);
    const qcDays = Array.from({ length: QC_LOOKBACK_DAYS + 1 }, (_, back) => isoDay(day - back * DAY_MS));
    const [results, logs, ...qcByDay] = await Promise.all([
      readAll(deps.lake, SILVER_TABLES.lab_results, { result_date: work.date }, RESULT_COLUMNS),
      readAll(deps.lake, SILVER_TABLES.device_logs, { log_date: work.date }, LOG_COLUMNS),
      ...qcDays.map((date) => readAll(deps.lake, SILVER_TABLES.quality_control, { run_date: date }, QC_COLUMNS)),
    ]);
    const qcRuns = qcRunsOfDay(qcByDay.flat(), day);
    const unit = `gold-${work.date}`;
    const deviceDays = deviceDailyRows(results, logs, qcRuns);
    const qcGroups = qcDailyRows(qcRuns);
    const series = outbreakSeriesRows(results);
    await Promise.all([
      deps.lake.writePartition(DEVICE_DAILY, { activity_date: work.date }, unit, deviceDays),
      deps.lake.writePartition(QC_DAILY, { run_date: work.date }, unit, qcGroups),
      deps.lake.writePartition(OUTBREAK_SERIES, { series_date: work.date }, unit, series),
    ]);
    const latest = await deps.horizon.latestDay();
    await deps.enqueueFeatures?.(featureWorkFor(day, day + FEATURE_LOOKBACK_DAYS * DAY_MS, latest ? dayMs(latest) : day, deps.shards));
    await run.succeed({ rowsIn: results.length + logs.length + qcRuns.length, rowsOut: deviceDays.length + qcGroups.length + series.length });
    return { deviceDays: deviceDays.length, qcGroups: qcGroups.length, series: series.length };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

/**
 * device_features of one feature day for one device shard: reads only the device_daily days
 * of its window and the shard's devices and maintenance events, writes its own partition.
 */
export async function goldFeatures(deps: GoldDeps, work: FeatureWork): Promise<number> {
  const run = await deps.ledger.start('gold-features', `${work.featureDate}/${shardLabel(work.shard)}`);
  try {
    const day = dayMs(work.featureDate);
    const inShard = (row: Row) => shardOf(String(row.device_id), deps.shards) === work.shard;
    const windowDays = Array.from({ length: FEATURE_LOOKBACK_DAYS + 1 }, (_, back) => day - back * DAY_MS);
    const [latest, devices, events, dailyRows] = await Promise.all([
      deps.horizon.latestDay(),
      readAll(deps.lake, SILVER_TABLES.devices, SNAPSHOT),
      readAll(deps.lake, SILVER_TABLES.maintenance_events, SNAPSHOT),
      Promise.all(windowDays.map((d) => readAll(deps.lake, DEVICE_DAILY, { activity_date: isoDay(d) }))),
    ]);
    const daily = new Map(windowDays.map((d, i) => [d, dailyRows[i]!.filter(inShard)]));
    // Labels count as observed up to the latest day silver holds now, not when the work was issued.
    const observedUntil = (latest ? dayMs(latest) : day) + DAY_MS;
    const rows = deviceFeatureRows(devices.filter(inShard), events.filter(inShard), daily, day, observedUntil);
    await deps.lake.writePartition(DEVICE_FEATURES, { feature_date: work.featureDate, shard: shardLabel(work.shard) }, `gold-${work.featureDate}`, rows);
    await run.succeed({ rowsIn: rows.length, rowsOut: rows.length });
    return rows.length;
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

/** Feature days whose label windows or overdue counts a maintenance change on these days moves. */
export function featureWorkForEvents(eventDates: readonly string[], latestDay: number, shards: number): FeatureWork[] {
  const work = new Map<string, FeatureWork>();
  for (const date of eventDates) {
    const day = dayMs(date);
    for (const item of featureWorkFor(day - LABEL_HORIZON_DAYS * DAY_MS, day + FEATURE_LOOKBACK_DAYS * DAY_MS, latestDay, shards)) {
      work.set(`${item.featureDate}/${item.shard}`, item);
    }
  }
  return [...work.values()];
}
