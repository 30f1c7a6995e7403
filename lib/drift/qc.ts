import { westgardGrid, zScore, type WestgardRule, type WestgardRunResult } from '../monitoring/westgard.js';
import type { Row } from '../sources/schema.js';
import { columnsOfRows, type Columns } from './lakeColumns.js';
import type { TextCodes } from '../lake/parquet.js';
import { DAY_MS, isoDay } from '../calendar/days.js';

/**
 * Westgard multirules over silver quality_control, per device and test (local test code; its
 * LOINC code is carried along). A run is one QC event of the device and test: its measurements
 * in run_at order on one UTC day until a control level repeats (then a new run starts). Each
 * measurement is z = (measured - target mean) / target SD of its control lot; missing values
 * are skipped. Control levels are the run's columns in ascending level order.
 */
export interface QcRun {
  readonly day: string;
  /** Epoch ms of the run's first measurement. */
  readonly at: number;
  /** z per control level (ascending level), null when that level was not run. */
  readonly z: readonly (number | null)[];
  readonly result: WestgardRunResult;
}

export interface QcSeries {
  readonly device: string;
  readonly testCode: string;
  readonly loinc: string | null;
  readonly levels: readonly number[];
  /** Runs from the first day reported on (all runs unless a `reportFrom` day was given). */
  readonly runs: readonly QcRun[];
}

export const QC_COLUMNS = ['device_id', 'test_code', 'loinc_code', 'control_level', 'measured_value', 'target_mean', 'target_sd', 'run_at'];

/** A device and test's identity, as its first measurement read has it. */
interface SeriesKey {
  readonly device: string | null;
  readonly testCode: string | null;
  readonly loinc: string | null;
}

/**
 * QC measurements of all batches in the order read, numbers only; z is NaN where a number is
 * missing (the measurement is skipped). Each usable one has its device and test's series number
 * (group, -1 for skipped), looked up by the batch's text codes: no string per row.
 */
interface QcMeasurements {
  readonly level: Float64Array;
  readonly runAt: Float64Array;
  readonly z: Float64Array;
  readonly group: Int32Array;
  readonly series: SeriesKey[];
}

function measurementsOf(batches: readonly Columns[]): QcMeasurements {
  const n = batches.reduce((sum, b) => sum + b.length, 0);
  const m: QcMeasurements = { level: new Float64Array(n), runAt: new Float64Array(n), z: new Float64Array(n), group: new Int32Array(n).fill(-1), series: [] };
  const groups = new Map<string | null, Map<string | null, number>>();
  const groupOf = (device: string | null, testCode: string | null, loinc: string | null): number => {
    let byTest = groups.get(device);
    if (!byTest) groups.set(device, (byTest = new Map()));
    let group = byTest.get(testCode);
    if (group === undefined) {
      byTest.set(testCode, (group = m.series.length));
      m.series.push({ device, testCode, loinc });
    }
    return group;
  };
  let o = 0;
  for (const batch of batches) {
    const [device, testCode, loinc] = [batch.codes('device_id'), batch.codes('test_code'), batch.codes('loinc_code')];
    const [level, measured, targetMean, targetSd, runAt] = ['control_level', 'measured_value', 'target_mean', 'target_sd', 'run_at'].map((name) => batch.number(name)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    // The batch's (device code + 1, test code + 1) pairs, code -1 being null: their series, -1 until first seen.
    const tests = testCode.values.length + 1;
    const pairGroup = new Int32Array((device.values.length + 1) * tests).fill(-1);
    for (let i = 0; i < batch.length; i++, o++) {
      m.level[o] = level[i]!;
      m.runAt[o] = runAt[i]!;
      const missing = Number.isNaN(level[i]!) || Number.isNaN(measured[i]!) || Number.isNaN(targetMean[i]!) || Number.isNaN(targetSd[i]!) || Number.isNaN(runAt[i]!);
      m.z[o] = missing ? NaN : zScore(measured[i]!, targetMean[i]!, targetSd[i]!);
      if (missing) continue;
      const [d, t] = [device.codes[i]!, testCode.codes[i]!];
      const pair = (d + 1) * tests + t + 1;
      let group = pairGroup[pair]!;
      if (group < 0) pairGroup[pair] = group = groupOf(textOf(device, d), textOf(testCode, t), textOf(loinc, loinc.codes[i]!));
      m.group[o] = group;
    }
  }
  return m;
}

function textOf(text: TextCodes, code: number): string | null {
  return code < 0 ? null : text.values[code]!;
}

/**
 * The usable measurements by series: series g's row indices, in the order read, are
 * order[starts[g]..starts[g + 1]) (a counting sort: 50,000 series cost no growing list each).
 */
function groupBySeries(m: QcMeasurements): { order: Int32Array; starts: Int32Array } {
  const starts = new Int32Array(m.series.length + 1);
  for (let i = 0; i < m.group.length; i++) if (m.group[i]! >= 0) starts[m.group[i]! + 1]!++;
  for (let g = 0; g < m.series.length; g++) starts[g + 1]! += starts[g]!;
  const next = starts.slice(0, m.series.length);
  const order = new Int32Array(starts[m.series.length]!);
  for (let i = 0; i < m.group.length; i++) if (m.group[i]! >= 0) order[next[m.group[i]!]!++] = i;
  return { order, starts };
}

/** A run read off its series' grid: z per level built only when asked (most runs are only counted). */
class GridRun implements QcRun {
  constructor(
    readonly day: string,
    readonly at: number,
    readonly result: WestgardRunResult,
    private readonly grid: Float64Array,
    private readonly offset: number,
    private readonly width: number,
  ) {}

  get z(): (number | null)[] {
    return Array.from(this.grid.subarray(this.offset, this.offset + this.width), (v) => (Number.isNaN(v) ? null : v));
  }
}

/** One device and test's measurements as runs on the multirule's grid; runs before day number `reportFrom` are not returned. */
function seriesOf(m: QcMeasurements, key: SeriesKey, list: Int32Array, reportFrom: number): QcSeries {
  let sorted = true;
  for (let i = 1; i < list.length && sorted; i++) if (m.runAt[list[i]!]! < m.runAt[list[i - 1]!]!) sorted = false;
  if (!sorted) list.sort((a, b) => m.runAt[a]! - m.runAt[b]!);
  const levels: number[] = [];
  for (let k = 0; k < list.length; k++) if (!levels.includes(m.level[list[k]!]!)) levels.push(m.level[list[k]!]!);
  levels.sort((a, b) => a - b);
  const width = levels.length;
  const z = new Float64Array(list.length * width).fill(NaN);
  const days: number[] = [];
  const starts: number[] = [];
  for (let k = 0; k < list.length; k++) {
    const i = list[k]!;
    const day = Math.floor(m.runAt[i]! / DAY_MS);
    const c = levels.indexOf(m.level[i]!);
    const run = days.length - 1;
    if (run < 0 || days[run] !== day || !Number.isNaN(z[run * width + c]!)) {
      days.push(day);
      starts.push(m.runAt[i]!);
    }
    z[(days.length - 1) * width + c] = m.z[i]!;
  }
  let from = 0;
  while (from < days.length && days[from]! < reportFrom) from++;
  const results = westgardGrid(z.subarray(0, days.length * width), width, from);
  const runs: QcRun[] = results.map((result, k) => new GridRun(isoDay(days[from + k]! * DAY_MS), starts[from + k]!, result, z, (from + k) * width, width));
  return { device: String(key.device), testCode: String(key.testCode), loinc: key.loinc ?? null, levels, runs };
}

/**
 * Westgard multirules per device and test over QC read as columns. Runs before `reportFrom`
 * (a day) are evaluated for the patterns they start but not returned: the drift report reads
 * history before its window only so that the across-run rules see it.
 */
export function westgardOfColumns(batches: readonly Columns[], reportFrom = ''): QcSeries[] {
  const m = measurementsOf(batches);
  const fromDay = reportFrom === '' ? -Infinity : Date.parse(`${reportFrom}T00:00:00Z`) / DAY_MS;
  const { order, starts } = groupBySeries(m);
  const out = m.series.map((key, g) => seriesOf(m, key, order.subarray(starts[g]!, starts[g + 1]!), fromDay));
  return out.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.testCode < b.testCode ? -1 : a.testCode > b.testCode ? 1 : 0));
}

export function westgardByDeviceTest(rows: readonly Row[], reportFrom = ''): QcSeries[] {
  return westgardOfColumns([columnsOfRows(rows)], reportFrom);
}

/** Rules tripped by a run (the 1-2s warning included), in the multirule's order. */
export function rulesOf(result: WestgardRunResult): WestgardRule[] {
  return [...new Set(result.violations.map((v) => v.rule))];
}
