import type { LakeTable } from '../lake/lake.js';
import { fnv1a } from '../lake/keyIndex.js';
import { FEATURE_NAMES } from '../features/deviceFeatures.js';
import type { ColumnSpec } from '../sources/schema.js';

/** Gold tables: per-day aggregates and the features and series that models and monitors read. */
const col = (name: string, type: ColumnSpec['type']): ColumnSpec => ({ name, type });

/** One row per device per day: the building blocks of every device feature. */
export const DEVICE_DAILY: LakeTable = {
  zone: 'gold',
  name: 'device_daily',
  columns: [
    col('device_id', 'string'),
    col('results', 'int32'),
    col('turnaround_hours_sum', 'float64'),
    col('turnaround_count', 'int32'),
    col('log_events', 'int32'),
    col('log_errors', 'int32'),
    col('log_warnings', 'int32'),
    col('qc_runs', 'int32'),
    col('qc_passes', 'int32'),
  ],
};

export const QC_DAILY: LakeTable = {
  zone: 'gold',
  name: 'qc_daily',
  columns: [
    col('device_id', 'string'),
    col('test_code', 'string'),
    col('loinc_code', 'string'),
    col('control_level', 'int32'),
    col('runs', 'int32'),
    col('mean', 'float64'),
    col('sd', 'float64'),
    col('mean_z', 'float64'),
    col('violations_13s', 'int32'),
    col('violations_22s', 'int32'),
  ],
};

export const OUTBREAK_SERIES: LakeTable = {
  zone: 'gold',
  name: 'outbreak_series',
  columns: [col('loinc_code', 'string'), col('loinc_name', 'string'), col('region', 'string'), col('tests', 'int32'), col('positives', 'int32'), col('positivity', 'float64')],
};

/**
 * A month of outbreak_series days packed in one partition (series_month=YYYY-MM), sorted by day:
 * a copy the outbreak job builds for the years it looks back on (lib/outbreaks/months.ts), not a
 * table of its own. Its manifest's `sources` say which daily partitions it was packed from.
 */
export const OUTBREAK_SERIES_MONTHS: LakeTable = {
  zone: 'gold',
  name: 'outbreak_series_months',
  columns: [col('series_date', 'string'), ...OUTBREAK_SERIES.columns],
};

export const DEVICE_FEATURES: LakeTable = {
  zone: 'gold',
  name: 'device_features',
  columns: [
    col('device_id', 'string'),
    ...FEATURE_NAMES.map((name) => col(name, 'float64')),
    col('failure_within_7d', 'int32'),
    /** 1 when the whole 7-day label window lies inside the data seen so far. */
    col('label_observed', 'int32'),
  ],
};

/** Per device and LOINC analyte per day: n, mean and SD of the canonical results (analyteDays.ts). */
export const ANALYTE_DAILY: LakeTable = {
  zone: 'gold',
  name: 'analyte_daily',
  columns: [col('device_id', 'string'), col('loinc_code', 'string'), col('n', 'int32'), col('mean', 'float64'), col('sd', 'float64')],
};

/** Per LOINC analyte per day: a systematic sample of its results (analyteDays.ts). */
export const ANALYTE_SAMPLE: LakeTable = {
  zone: 'gold',
  name: 'analyte_sample',
  columns: [col('loinc_code', 'string'), col('result_value', 'float64')],
};

export const GOLD_TABLES = [DEVICE_DAILY, QC_DAILY, OUTBREAK_SERIES, DEVICE_FEATURES, ANALYTE_DAILY, ANALYTE_SAMPLE] as const;

/** Stable shard of a device (FNV-1a), so a device's features always land in the same shard. */
export function shardOf(deviceId: string, shards: number): number {
  return (fnv1a(deviceId) >>> 0) % shards;
}

export function shardLabel(shard: number): string {
  return String(shard).padStart(2, '0');
}
