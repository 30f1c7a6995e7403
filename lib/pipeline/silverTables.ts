import type { LakeTable, PartitionValues } from '../lake/lake.js';
import { LIMS_TABLES, type ColumnSpec, type LimsTableName } from '../sources/schema.js';

/**
 * Silver: standardized, de-duplicated LIMS tables with no raw patient identifiers. Event
 * tables are partitioned by their event's UTC day (what gold windows read); the small
 * reference tables are one `snapshot=current` partition rewritten on change.
 */

const col = (name: string, type: ColumnSpec['type']): ColumnSpec => ({ name, type });

const LAB_RESULT_COLUMNS: readonly ColumnSpec[] = [
  col('result_id', 'string'),
  col('sample_id', 'string'),
  col('patient_key', 'string'),
  col('age_band', 'string'),
  col('sex', 'string'),
  col('region', 'string'),
  col('site_id', 'string'),
  col('device_id', 'string'),
  col('test_code', 'string'),
  col('loinc_code', 'string'),
  col('loinc_name', 'string'),
  col('result_value', 'float64'),
  col('unit', 'string'),
  col('reported_value', 'float64'),
  col('reported_unit', 'string'),
  col('reference_low', 'float64'),
  col('reference_high', 'float64'),
  col('result_text', 'string'),
  col('abnormal_flag', 'string'),
  col('received_at', 'timestamp'),
  col('resulted_at', 'timestamp'),
  col('status', 'string'),
  col('modified_at', 'timestamp'),
];

const QC_COLUMNS: readonly ColumnSpec[] = [
  ...LIMS_TABLES.quality_control.columns.slice(0, 3),
  col('site_id', 'string'),
  col('loinc_code', 'string'),
  ...LIMS_TABLES.quality_control.columns.slice(3),
];

export interface SilverTable extends LakeTable {
  readonly source: LimsTableName;
  readonly key: string;
  /** The partition column: an event day, or the snapshot. */
  readonly partitionColumn: string;
  /** Timestamp columns whose first non-null value is a row's event time (its day is its partition); none for a snapshot. */
  readonly eventTimes: readonly string[];
}

export const CURRENT = 'current';
export const SNAPSHOT: PartitionValues = { snapshot: CURRENT };
/** The day partition of rows without an event time. */
export const UNKNOWN_DAY = 'unknown';

export const SILVER_TABLES: Readonly<Record<LimsTableName, SilverTable>> = {
  lab_results: {
    zone: 'silver', name: 'lab_results', source: 'lab_results', key: 'result_id', columns: LAB_RESULT_COLUMNS,
    partitionColumn: 'result_date', eventTimes: ['resulted_at', 'received_at'],
  },
  device_logs: {
    zone: 'silver', name: 'device_logs', source: 'device_logs', key: 'log_id', columns: LIMS_TABLES.device_logs.columns,
    partitionColumn: 'log_date', eventTimes: ['logged_at'],
  },
  quality_control: {
    zone: 'silver', name: 'quality_control', source: 'quality_control', key: 'qc_id', columns: QC_COLUMNS,
    partitionColumn: 'run_date', eventTimes: ['run_at'],
  },
  devices: {
    zone: 'silver', name: 'devices', source: 'devices', key: 'device_id', columns: LIMS_TABLES.devices.columns,
    partitionColumn: 'snapshot', eventTimes: [],
  },
  maintenance_events: {
    zone: 'silver', name: 'maintenance_events', source: 'maintenance_events', key: 'event_id', columns: LIMS_TABLES.maintenance_events.columns,
    partitionColumn: 'snapshot', eventTimes: [],
  },
};

/** Quarantined rows keep their silver shape (no raw identifiers) plus the rules they broke. */
export function quarantineTable(source: LimsTableName): LakeTable {
  return { zone: 'quarantine', name: source, columns: [...SILVER_TABLES[source].columns, col('dq_rules', 'string')] };
}

/** The single date value of a day partition, e.g. '2026-03-01' from { result_date: '2026-03-01' }. */
export function partitionDate(partition: PartitionValues): string | undefined {
  const value = Object.values(partition)[0];
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
}
