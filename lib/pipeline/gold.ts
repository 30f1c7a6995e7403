import { FEATURE_LOOKBACK_DAYS, LABEL_HORIZON_DAYS } from '../features/deviceFeatures.js';
import type { Lake } from '../lake/lake.js';
import { forEachLimited } from '../queue/concurrency.js';
import type { DataHorizon } from '../state/horizon.js';
import type { RunLedger } from '../state/runs.js';
import type { DaySummary } from './analyteDays.js';
import { encodeAnalyteDay, type GoldDayInput, type PreparedGoldDay } from './goldDayPrepare.js';
import type { GoldFeaturesInput, PreparedFeatures } from './goldFeaturesPrepare.js';
import { DEVICE_DAILY, DEVICE_FEATURES, shardLabel } from './goldTables.js';
import { SILVER_TABLES, SNAPSHOT } from './silverTables.js';
import { DAY_MS, dayMs, isoDay } from '../calendar/days.js';

/** A silver day to aggregate (message of the `gold-day` queue). */
export interface DayWork {
  readonly date: string;
}

/** Consecutive feature days `from`..`to` of one device shard (message of the `gold-features` queue). */
export interface FeatureWork {
  readonly from: string;
  readonly to: string;
  readonly shard: number;
}

/**
 * Most feature days one unit computes. A unit reads its days' windows once (its days plus 13 of
 * device_daily), where a unit per day would read each device_daily day 14 times; the cap keeps a
 * unit's memory and time bounded in a backfill.
 */
export const MAX_FEATURE_RUN_DAYS = 31;

export interface GoldDeps {
  readonly lake: Lake;
  readonly ledger: RunLedger;
  readonly shards: number;
  readonly horizon: DataHorizon;
  /** A day's CPU: decode, aggregate, encode (PipelineCompute.goldDay). */
  readonly prepareDay: (input: GoldDayInput) => Promise<PreparedGoldDay>;
  /** A feature unit's CPU: decode its windows, compute, encode (PipelineCompute.goldFeatures). */
  readonly prepareFeatures: (input: GoldFeaturesInput) => Promise<PreparedFeatures>;
  /** Fan-out of feature work after a day's aggregates changed. */
  readonly enqueueFeatures?: (work: readonly FeatureWork[]) => Promise<void>;
}

/** Feature partitions a unit writes at once. */
const PARTITION_WRITES_IN_FLIGHT = 4;
/** Days of QC history read before a day, so 2-2s can compare a day's first run with the previous one. */
const QC_LOOKBACK_DAYS = 3;

export { dayMs, isoDay };

/** Feature days to (re)compute per shard, coalesced into units of consecutive days. */
export class FeatureDays {
  private readonly byShard = new Map<number, Set<number>>();

  /** Every shard's days `fromDay`..`toDay` (epoch ms of UTC day starts). */
  addRange(fromDay: number, toDay: number, shards: number): this {
    for (let shard = 0; shard < shards; shard++) this.add({ from: isoDay(fromDay), to: isoDay(toDay), shard });
    return this;
  }

  add(work: FeatureWork): this {
    let days = this.byShard.get(work.shard);
    if (!days) this.byShard.set(work.shard, (days = new Set()));
    for (let day = dayMs(work.from); day <= dayMs(work.to); day += DAY_MS) days.add(day);
    return this;
  }

  /** One unit per shard and run of consecutive days, at most MAX_FEATURE_RUN_DAYS long. */
  work(): FeatureWork[] {
    const work: FeatureWork[] = [];
    for (const [shard, days] of [...this.byShard].sort((a, b) => a[0] - b[0])) {
      const sorted = [...days].sort((a, b) => a - b);
      let start = 0;
      for (let i = 1; i <= sorted.length; i++) {
        const runEnds = i === sorted.length || sorted[i]! !== sorted[i - 1]! + DAY_MS || i - start === MAX_FEATURE_RUN_DAYS;
        if (!runEnds) continue;
        work.push({ from: isoDay(sorted[start]!), to: isoDay(sorted[i - 1]!), shard });
        start = i;
      }
    }
    return work;
  }
}

/** Feature work whose inputs include `fromDay`..`toDay`, bounded by the data. */
export function featureWorkFor(fromDay: number, toDay: number, latestDay: number, shards: number): FeatureWork[] {
  const lastDay = Math.min(toDay, latestDay);
  return lastDay < fromDay ? [] : new FeatureDays().addRange(fromDay, lastDay, shards).work();
}

/** Replaces a day's analyte_daily and analyte_sample partitions with `summary`. */
export async function writeAnalyteDay(lake: Lake, date: string, unit: string, summary: DaySummary): Promise<void> {
  await Promise.all(encodeAnalyteDay(summary).map(({ table, partition, files }) => lake.writeEncodedPartition(table, partition, unit, files)));
}

/**
 * Gold aggregates of one silver day: device_daily, qc_daily, outbreak_series and the analyte
 * summaries, each partition replaced whole; then the feature days that read this day are fanned out.
 */
export async function goldForDay(deps: GoldDeps, work: DayWork): Promise<{ deviceDays: number; qcGroups: number; series: number }> {
  const run = await deps.ledger.start('gold-day', work.date);
  try {
    const day = dayMs(work.date);
    const qcDays = Array.from({ length: QC_LOOKBACK_DAYS + 1 }, (_, back) => isoDay(day - back * DAY_MS));
    const [results, logs, qc] = await Promise.all([
      deps.lake.readStoredFiles(SILVER_TABLES.lab_results, { result_date: work.date }),
      deps.lake.readStoredFiles(SILVER_TABLES.device_logs, { log_date: work.date }),
      Promise.all(qcDays.map((date) => deps.lake.readStoredFiles(SILVER_TABLES.quality_control, { run_date: date }))),
    ]);
    const prepared = await deps.prepareDay({ date: work.date, results, logs, qc });
    const unit = `gold-${work.date}`;
    await Promise.all(prepared.tables.map(({ table, partition, files }) => deps.lake.writeEncodedPartition(table, partition, unit, files)));
    const latest = await deps.horizon.latestDay();
    await deps.enqueueFeatures?.(featureWorkFor(day, day + FEATURE_LOOKBACK_DAYS * DAY_MS, latest ? dayMs(latest) : day, deps.shards));
    const { deviceDays, qcGroups, series } = prepared;
    await run.succeed({ rowsIn: prepared.rowsIn, rowsOut: deviceDays + qcGroups + series });
    return { deviceDays, qcGroups, series };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

/** UTC day starts `fromDay`..`toDay`. */
function daysBetween(fromDay: number, toDay: number): number[] {
  return Array.from({ length: Math.max(0, Math.round((toDay - fromDay) / DAY_MS) + 1) }, (_, i) => fromDay + i * DAY_MS);
}

/**
 * device_features of a run of feature days for one device shard: reads the device_daily days of
 * the run's windows once, and the shard's devices and maintenance events; writes one partition
 * per feature day.
 */
export async function goldFeatures(deps: GoldDeps, work: FeatureWork): Promise<number> {
  const run = await deps.ledger.start('gold-features', `${work.from}..${work.to}/${shardLabel(work.shard)}`);
  try {
    const windowDays = daysBetween(dayMs(work.from) - FEATURE_LOOKBACK_DAYS * DAY_MS, dayMs(work.to));
    const [latest, devices, events, daily] = await Promise.all([
      deps.horizon.latestDay(),
      deps.lake.readSnapshotRows(SILVER_TABLES.devices, SNAPSHOT),
      deps.lake.readSnapshotRows(SILVER_TABLES.maintenance_events, SNAPSHOT),
      Promise.all(windowDays.map(async (day) => ({ day, files: await deps.lake.readStoredFiles(DEVICE_DAILY, { activity_date: isoDay(day) }) }))),
    ]);
    const prepared = await deps.prepareFeatures({
      shard: work.shard,
      shards: deps.shards,
      devices,
      events,
      daily,
      featureDays: daysBetween(dayMs(work.from), dayMs(work.to)),
      // Labels count as observed up to the latest day silver holds now, not when the work was issued.
      observedUntil: (latest ? dayMs(latest) : dayMs(work.to)) + DAY_MS,
    });
    await forEachLimited(prepared.days, PARTITION_WRITES_IN_FLIGHT, async ({ day, file }) => {
      const date = isoDay(day);
      await deps.lake.writeEncodedPartition(DEVICE_FEATURES, { feature_date: date, shard: shardLabel(work.shard) }, `gold-${date}`, file ? [file] : []);
    });
    const written = prepared.days.reduce((sum, d) => sum + d.rows, 0);
    await run.succeed({ rowsIn: written, rowsOut: written });
    return written;
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

/** Feature days whose label windows or overdue counts a maintenance change on these days moves. */
export function featureWorkForEvents(eventDates: readonly string[], latestDay: number, shards: number): FeatureWork[] {
  const days = new FeatureDays();
  for (const date of eventDates) {
    const day = dayMs(date);
    const lastDay = Math.min(day + FEATURE_LOOKBACK_DAYS * DAY_MS, latestDay);
    if (lastDay >= day - LABEL_HORIZON_DAYS * DAY_MS) days.addRange(day - LABEL_HORIZON_DAYS * DAY_MS, lastDay, shards);
  }
  return days.work();
}
