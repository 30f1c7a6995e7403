import { decodeStoredFile, encodeFile, type EncodedFile, type StoredFile } from '../lake/lake.js';
import { columnOf, perCode, rowsOfColumns, type ColumnBatch } from '../lake/parquet.js';
import type { CellValue, Row } from '../sources/schema.js';
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
  const daily = new Map(input.daily.map(({ day, files }) => [day, files.flatMap((file) => shardRows(decodeStoredFile(file), input))]));
  const rowsByDay = deviceFeatureRows(input.devices.filter(inShard), input.events.filter(inShard), daily, input.featureDays, input.observedUntil);
  return { days: [...rowsByDay].map(([day, rows]) => ({ day, rows: rows.length, ...(rows.length > 0 ? { file: encodeFile(DEVICE_FEATURES, rows) } : {}) })) };
}

/** The rows of a device_daily batch whose device is in the unit's shard: rows are made for those alone, the shard judged once per device id. */
function shardRows(batch: ColumnBatch, { shards, shard }: GoldFeaturesInput): Row[] {
  const isOurs = (id: CellValue) => shardOf(String(id), shards) === shard;
  const coded = batch.codes?.device_id;
  let keep: (row: number) => boolean;
  if (coded) {
    const ours = perCode(coded, isOurs);
    keep = (row) => ours[coded.codes[row]! + 1]!;
  } else {
    const devices = columnOf(batch, 'device_id');
    keep = (row) => isOurs(devices[row]!);
  }
  const positions: number[] = [];
  for (let row = 0; row < batch.length; row++) if (keep(row)) positions.push(row);
  return rowsOfColumns(batch, positions);
}
