import { describe, expect, it } from 'vitest';
import { LIMS_TABLES } from '../sources/schema.js';
import { concatBatches, parquetToColumns, parquetToRows, rowsOfColumns, rowsToParquet, selectRows, textCodes } from './parquet.js';
import { ROW_GROUP_ROWS } from './parquetFile.js';

describe('parquet round trip', () => {
  it('keeps every column type, nulls included', () => {
    const spec = LIMS_TABLES.quality_control;
    const rows = [
      { qc_id: 'Q1', device_id: 'D1', test_code: 'GLU', control_lot: 'L1', control_level: 2, measured_value: 5.5, target_mean: 5.4, target_sd: 0.2, run_at: Date.UTC(2026, 2, 1, 8), modified_at: Date.UTC(2026, 2, 1, 8, 1) },
      { qc_id: 'Q2', device_id: 'D1', test_code: 'GLU', control_lot: null, control_level: null, measured_value: null, target_mean: 5.4, target_sd: 0.2, run_at: Date.UTC(2026, 2, 1, 9), modified_at: Date.UTC(2026, 2, 1, 9, 1) },
    ];
    const back = parquetToRows(rowsToParquet(spec.columns, rows));
    expect(back).toEqual(rows);
  });

  it('keeps non-ASCII text and empty strings exact', () => {
    const columns = [{ name: 'patient_name', type: 'string' as const }];
    const rows = [{ patient_name: 'José Müller' }, { patient_name: '' }, { patient_name: null }, { patient_name: '李小龙' }, { patient_name: 'Ada' }];
    expect(parquetToRows(rowsToParquet(columns, rows))).toEqual(rows);
  });

  it('keeps text of few distinct values (dictionary-encoded) exact across record batches, nulls and non-ASCII included', () => {
    const columns = [
      { name: 'device_id', type: 'string' as const },
      { name: 'unit', type: 'string' as const },
      { name: 'result_id', type: 'string' as const },
    ];
    const units = ['mg/dL', 'mmol/L', 'µmol/L', null];
    const rows = Array.from({ length: 5000 }, (_, i) => ({ device_id: i % 997 === 0 ? null : `DEV${i % 40}`, unit: units[i % units.length]!, result_id: `R${i}` }));
    expect(parquetToRows(rowsToParquet(columns, rows, 'none'))).toEqual(rows);
    const allNull = [{ unit: null }, { unit: null }];
    expect(parquetToRows(rowsToParquet([columns[1]!], allNull))).toEqual(allNull);
    expect(parquetToRows(rowsToParquet(columns, []))).toEqual([]);
  });

  it('gives text as codes into one list of distinct values, across row groups with dictionaries of their own', () => {
    const columns = [
      { name: 'device_id', type: 'string' as const },
      { name: 'result_id', type: 'string' as const },
    ];
    // Two row groups; the second sees devices the first does not, in another order.
    const length = ROW_GROUP_ROWS + 12_000;
    const rows = Array.from({ length }, (_, i) => ({ device_id: i % 9973 === 0 ? null : `DEV${i < length / 2 ? i % 40 : 59 - (i % 40)}`, result_id: `R${i % 50_000}` }));
    const batch = parquetToColumns(rowsToParquet(columns, rows, 'none'));
    for (const name of ['device_id', 'result_id'] as const) {
      const { codes, values } = textCodes(batch, name);
      expect(new Set(values).size).toBe(values.length);
      expect(Array.from(codes, (c) => (c < 0 ? null : values[c]))).toEqual(rows.map((r) => r[name]));
    }
    expect(textCodes(batch, 'device_id').values).toHaveLength(60);
    expect(batch.columns.device_id).toEqual(rows.map((r) => r.device_id));
  });

  it('selects rows of a batch with its columns still typed and its text still coded', () => {
    const columns = [
      { name: 'device_id', type: 'string' as const },
      { name: 'value', type: 'float64' as const },
      { name: 'level', type: 'int32' as const },
    ];
    const rows = Array.from({ length: 1000 }, (_, i) => ({ device_id: i % 50 === 0 ? null : `DEV${i % 7}`, value: i / 4, level: i % 3 === 0 ? null : i % 3 }));
    const batch = parquetToColumns(rowsToParquet(columns, rows, 'none'));
    const wanted = Int32Array.from({ length: 100 }, (_, k) => k * 10 + (k % 10));
    const picked = selectRows(batch, wanted);
    expect(picked.length).toBe(100);
    expect(picked.columns.value).toBeInstanceOf(Float64Array);
    expect(picked.codes?.device_id?.values).toBe(batch.codes?.device_id?.values);
    expect(Array.from({ length: 100 }, (_, k) => ({ device_id: picked.columns.device_id![k], value: picked.columns.value![k], level: picked.columns.level![k] }))).toEqual(Array.from(wanted, (i) => rows[i]));
  });

  it('concatenates batches of several files: coded text merged into one code list, numbers still typed', () => {
    const spec = LIMS_TABLES.quality_control;
    const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ qc_id: `Q${from + i}`, device_id: `D${(from + i) % 3}`, test_code: 'GLU', control_lot: null, control_level: 1, measured_value: from + i, target_mean: 5, target_sd: 1, run_at: Date.UTC(2026, 2, 1) + i, modified_at: Date.UTC(2026, 2, 1) + i }));
    const [a, b] = [rows(0, 10), rows(10, 5)];
    const files = [a, b].map((part) => parquetToColumns(rowsToParquet(spec.columns, part)));
    const joined = concatBatches(files);
    expect(joined.length).toBe(15);
    expect(textCodes(joined, 'device_id').values).toHaveLength(3);
    expect(joined.columns.measured_value).toBeInstanceOf(Float64Array);
    expect(rowsOfColumns(joined)).toEqual([...a, ...b]);
  });

  it('reads millisecond timestamps exactly, before 1970 and far ahead included, typed when none is null', () => {
    const columns = [{ name: 'at', type: 'timestamp' as const }];
    const times = [Date.UTC(1969, 11, 31, 23, 59, 59, 999), -1, 0, 1, 4294967295, 4294967296, Date.UTC(2026, 10, 26, 21, 11, 53, 7), Date.UTC(9999, 11, 31)];
    const rows = times.map((at) => ({ at }));
    expect(parquetToRows(rowsToParquet(columns, rows))).toEqual(rows);
    expect(parquetToColumns(rowsToParquet(columns, rows)).columns.at).toBeInstanceOf(Float64Array);
    const withNull = [...rows, { at: null }];
    expect(parquetToRows(rowsToParquet(columns, withNull))).toEqual(withNull);
  });

  it('stores dates as calendar days', () => {
    const columns = [{ name: 'date_of_birth', type: 'date' as const }];
    const rows = [{ date_of_birth: Date.UTC(1980, 4, 17) }, { date_of_birth: null }];
    expect(parquetToRows(rowsToParquet(columns, rows))).toEqual(rows);
  });
});
