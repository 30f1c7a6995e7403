import { describe, expect, it } from 'vitest';
import type { StoredFile } from '../lake/lake.js';
import { parquetToColumns, rowsOfColumns, rowsToParquet } from '../lake/parquet.js';
import { prepareGoldDay } from './goldDayPrepare.js';
import { SILVER_TABLES } from './silverTables.js';
import { QcRunsOfDay, qcDailyColumns } from './goldTransforms.js';
import type { Row } from '../sources/schema.js';

const DAY = Date.UTC(2026, 2, 10);
const HOUR = 3_600_000;

/** A silver QC row: target mean 100, SD 10, so z is (value - 100) / 10. */
function run(device: string | null, test: string | null, level: number | null, z: number, at: number): Row {
  return { qc_id: `${device}-${test}-${level}-${at}`, device_id: device, test_code: test, site_id: 'S1', loinc_code: 'L', control_lot: 'lot', control_level: level, measured_value: 100 + 10 * z, target_mean: 100, target_sd: 10, run_at: at, modified_at: at };
}

/** Rows as the gold-day unit reads them: silver QC columns from a Parquet file. */
const batch = (rows: Row[]) => parquetToColumns(rowsToParquet(SILVER_TABLES.quality_control.columns, rows, 'none'));

describe('QC runs of a day', () => {
  it('judge 2-2s against the same material\'s latest earlier run, including the days before, and group per material', () => {
    const qc = new QcRunsOfDay(DAY);
    // The day before: D1/GLU level 1 ends high (z 2.5); an earlier, lower run of it does not count.
    qc.add([batch([run('D1', 'GLU', 1, 0.2, DAY - 20 * HOUR), run('D1', 'GLU', 1, 2.5, DAY - 2 * HOUR), run('D1', 'GLU', 2, 2.6, DAY - 3 * HOUR), run('D2', null, null, 2.4, DAY - HOUR)])]);
    // The day, fed in two batches with their own dictionaries (another order of devices).
    qc.add([
      batch([run('D2', null, null, 2.2, DAY + HOUR), run('D1', 'GLU', 1, 2.1, DAY + 2 * HOUR), run('D1', 'GLU', 2, 0.5, DAY + 2 * HOUR)]),
      batch([run('D1', 'GLU', 2, 3.5, DAY + 5 * HOUR), run('D1', 'GLU', 1, -0.4, DAY + 6 * HOUR), run('D3', 'GLU', 1, 2.9, DAY + 7 * HOUR), run('D1', 'GLU', 1, 9, DAY + 25 * HOUR)]),
    ]);
    const runs = qc.runs();
    const judged = Array.from(runs.material, (m, k) => {
      const material = runs.materials[m]!;
      return [material.device_id, material.test_code, material.control_level, runs.r22s[k] === 1, runs.r13s[k] === 1];
    });
    expect(judged).toEqual([
      ['D2', null, null, true, false],
      ['D1', 'GLU', 1, true, false],
      ['D1', 'GLU', 2, false, false],
      ['D1', 'GLU', 2, false, true],
      ['D1', 'GLU', 1, false, false],
      ['D3', 'GLU', 1, false, false],
    ]);
    const daily = rowsOfColumns(qcDailyColumns(runs)).map((r) => [r.device_id, r.test_code, r.control_level, r.runs, r.violations_22s, r.violations_13s]);
    expect(daily.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      ['D1', 'GLU', 1, 2, 1, 0],
      ['D1', 'GLU', 2, 2, 0, 1],
      ['D2', null, null, 1, 1, 0],
      ['D3', 'GLU', 1, 1, 0, 0],
    ]);
  });
});

describe('a gold day\'s QC look-back', () => {
  const file = (rows: Row[]): StoredFile => ({ bytes: rowsToParquet(SILVER_TABLES.quality_control.columns, rows) });
  const broken: StoredFile = { bytes: new Uint8Array([1, 2, 3]) };
  const flagsOf = (qc: StoredFile[][]) =>
    qcDailyOf(qc).map((r) => [r.device_id, r.control_level, r.violations_22s]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  /** The day's qc_daily rows as prepareGoldDay encodes them. */
  function qcDailyOf(qc: StoredFile[][]): Row[] {
    const prepared = prepareGoldDay({ date: '2026-03-10', results: [], logs: [], qc });
    const qcDaily = prepared.tables.find((t) => t.table.name === 'qc_daily')!;
    return qcDaily.files.flatMap((f) => rowsOfColumns(parquetToColumns(f.data)));
  }
  const today = file([run('D1', 'GLU', 1, 2.1, DAY + HOUR), run('D2', 'GLU', 1, 2.2, DAY + HOUR)]);

  it('stops at the newest day that holds an earlier run of every material of the day', () => {
    // Both materials ran the day before: the older days are never decoded (a broken file there would throw).
    const dayBefore = file([run('D1', 'GLU', 1, 2.5, DAY - 2 * HOUR), run('D2', 'GLU', 1, 0.1, DAY - 2 * HOUR)]);
    expect(flagsOf([[today], [dayBefore], [broken], [broken]])).toEqual([['D1', 1, 1], ['D2', 1, 0]]);
  });

  it('reads further back for a material that skipped a day, and judges 2-2s against its run there', () => {
    const dayBefore = file([run('D1', 'GLU', 1, 0.1, DAY - 2 * HOUR)]);
    const twoDaysBefore = file([run('D1', 'GLU', 1, 2.9, DAY - 26 * HOUR), run('D2', 'GLU', 1, 2.4, DAY - 26 * HOUR)]);
    expect(flagsOf([[today], [dayBefore], [twoDaysBefore], []])).toEqual([['D1', 1, 0], ['D2', 1, 1]]);
    expect(() => flagsOf([[today], [dayBefore], [broken], []])).toThrow('not a Parquet file');
  });
});
