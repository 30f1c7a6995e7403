import { decodeStoredFile, encodeFile, type EncodedFile, type StoredFile } from '../lake/lake.js';
import { rowsOfColumns } from '../lake/parquet.js';
import type { Row } from '../sources/schema.js';
import { DEVICE_FEATURES, shardOf } from './goldTables.js';
import { deviceFeatureRows } from './goldTransforms.js';

/**
 * The CPU of a feature unit, apart from its I/O: the device_daily files of its windows and the
 * reference snapshots in, one encoded device_features file per feature day out. Pure, so it runs
 * on a worker thread like silver and gold days.
 */
export interface GoldFeaturesInput {
  readonly shard: number;
  readonly shards: number;
  /** Silver devices and maintenance events (all shards: the unit keeps its own). */
  readonly devices: readonly Row[];
  readonly events: readonly Row[];
  /** device_daily of each window day (epoch ms of its start). */
  readonly daily: readonly { readonly day: number; readonly files: readonly StoredFile[] }[];
  readonly featureDays: readonly number[];
  /** Labels count as observed before this instant. */
  readonly observedUntil: number;
}

export interface PreparedFeatures {
  /** Each feature day's rows, encoded (no file for a day without rows). */
  readonly days: readonly { readonly day: number; readonly rows: number; readonly file?: EncodedFile }[];
}

export function prepareGoldFeatures(input: GoldFeaturesInput): PreparedFeatures {
  const inShard = (row: Row) => shardOf(String(row.device_id), input.shards) === input.shard;
  const daily = new Map(input.daily.map(({ day, files }) => [day, files.flatMap((file) => rowsOfColumns(decodeStoredFile(file))).filter(inShard)]));
  const rowsByDay = deviceFeatureRows(input.devices.filter(inShard), input.events.filter(inShard), daily, input.featureDays, input.observedUntil);
  return { days: [...rowsByDay].map(([day, rows]) => ({ day, rows: rows.length, ...(rows.length > 0 ? { file: encodeFile(DEVICE_FEATURES, rows) } : {}) })) };
}
