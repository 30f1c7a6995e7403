/**
 * The LIMS source tables of DESIGN.md, declared once as data. The simulator, the SQL Server
 * source, the bronze writer and Parquet encoding all read these definitions.
 *
 * In-memory representation of a value by column type:
 * - `string`: string | null
 * - `float64`: number | null
 * - `int32`: number | null
 * - `timestamp`: epoch milliseconds, UTC (number | null); stored as Parquet TIMESTAMP(ms, UTC)
 * - `date`: epoch milliseconds of midnight UTC (number | null); stored as Parquet DATE
 */
export type ColumnType = 'string' | 'float64' | 'int32' | 'timestamp' | 'date';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

export type CellValue = string | number | null;
export type Row = Record<string, CellValue>;

export interface TableSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  /** Natural key: one logical record per key; the latest `modified_at` version wins. */
  readonly key: string;
  /** Change-tracking column used for incremental pulls. */
  readonly modifiedColumn: 'modified_at';
}

const col = (name: string, type: ColumnType): ColumnSpec => ({ name, type });

export const LIMS_TABLES = {
  lab_results: {
    name: 'lab_results',
    key: 'result_id',
    modifiedColumn: 'modified_at',
    columns: [
      col('result_id', 'string'),
      col('sample_id', 'string'),
      col('patient_id', 'string'),
      col('patient_name', 'string'),
      col('date_of_birth', 'date'),
      col('sex', 'string'),
      col('postal_code', 'string'),
      col('device_id', 'string'),
      col('test_code', 'string'),
      col('test_name', 'string'),
      col('result_value', 'float64'),
      col('result_text', 'string'),
      col('unit', 'string'),
      col('reference_low', 'float64'),
      col('reference_high', 'float64'),
      col('abnormal_flag', 'string'),
      col('received_at', 'timestamp'),
      col('resulted_at', 'timestamp'),
      col('status', 'string'),
      col('modified_at', 'timestamp'),
    ],
  },
  device_logs: {
    name: 'device_logs',
    key: 'log_id',
    modifiedColumn: 'modified_at',
    columns: [
      col('log_id', 'string'),
      col('device_id', 'string'),
      col('logged_at', 'timestamp'),
      col('level', 'string'),
      col('event_code', 'string'),
      col('message', 'string'),
      col('modified_at', 'timestamp'),
    ],
  },
  quality_control: {
    name: 'quality_control',
    key: 'qc_id',
    modifiedColumn: 'modified_at',
    columns: [
      col('qc_id', 'string'),
      col('device_id', 'string'),
      col('test_code', 'string'),
      col('control_lot', 'string'),
      col('control_level', 'int32'),
      col('measured_value', 'float64'),
      col('target_mean', 'float64'),
      col('target_sd', 'float64'),
      col('run_at', 'timestamp'),
      col('modified_at', 'timestamp'),
    ],
  },
  devices: {
    name: 'devices',
    key: 'device_id',
    modifiedColumn: 'modified_at',
    columns: [
      col('device_id', 'string'),
      col('model', 'string'),
      col('manufacturer', 'string'),
      col('site_id', 'string'),
      col('installed_at', 'timestamp'),
      col('calibration_interval_days', 'int32'),
      col('maintenance_interval_days', 'int32'),
      col('modified_at', 'timestamp'),
    ],
  },
  maintenance_events: {
    name: 'maintenance_events',
    key: 'event_id',
    modifiedColumn: 'modified_at',
    columns: [
      col('event_id', 'string'),
      col('device_id', 'string'),
      col('event_type', 'string'),
      col('started_at', 'timestamp'),
      col('ended_at', 'timestamp'),
      col('modified_at', 'timestamp'),
    ],
  },
} as const satisfies Record<string, TableSpec>;

export type LimsTableName = keyof typeof LIMS_TABLES;
export const LIMS_TABLE_NAMES = Object.keys(LIMS_TABLES) as LimsTableName[];

export function isLimsTableName(name: string): name is LimsTableName {
  return Object.hasOwn(LIMS_TABLES, name);
}

/** Position in a table's change stream: rows are ordered by (modified_at, key). */
export interface Watermark {
  readonly modifiedAt: number;
  readonly key: string;
}

export function compareToWatermark(row: Row, spec: TableSpec, mark: Watermark): number {
  const modifiedAt = row[spec.modifiedColumn] as number;
  if (modifiedAt !== mark.modifiedAt) return modifiedAt < mark.modifiedAt ? -1 : 1;
  const key = String(row[spec.key]);
  return key < mark.key ? -1 : key > mark.key ? 1 : 0;
}
