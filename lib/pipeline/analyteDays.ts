import { columnOf, textCodes, type ColumnBatch } from '../lake/parquet.js';
import type { Row } from '../sources/schema.js';

/**
 * Daily summaries of silver lab results, the inputs of calibration and analyte drift monitoring
 * (gold analyte_daily and analyte_sample): per device and LOINC analyte, n, mean and sample SD of
 * the canonical result_value (quantitative results only); per LOINC analyte, a systematic sample
 * of at most ANALYTE_SAMPLE_PER_DAY values. The gold-day unit writes them with the day's other
 * aggregates; monitoring reads 28 small partitions for a baseline, not 28 days of results.
 */
export const ANALYTE_SAMPLE_PER_DAY = 2000;

/** The silver lab_results columns the summaries read. */
export const ANALYTE_INPUT = ['device_id', 'loinc_code', 'result_value'] as const;

/** Per device and LOINC analyte of one day, as parallel columns (no object per pair). */
export interface DeviceAnalyteColumns {
  readonly length: number;
  readonly device: readonly string[];
  readonly loinc: readonly string[];
  readonly n: ArrayLike<number>;
  readonly mean: ArrayLike<number>;
  /** Sample SD; NaN when n < 2. */
  readonly sd: ArrayLike<number>;
}

export interface DaySummary {
  readonly date: string;
  readonly deviceAnalytes: DeviceAnalyteColumns;
  /** Sampled result values per LOINC analyte. */
  readonly samples: ReadonlyMap<string, Float64Array>;
}

export interface DeviceAnalyteDay {
  readonly device: string;
  readonly loinc: string;
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
}

/** Columns of per-pair objects (tests, simulations). */
export function deviceAnalyteColumns(days: readonly DeviceAnalyteDay[]): DeviceAnalyteColumns {
  return {
    length: days.length,
    device: days.map((d) => d.device),
    loinc: days.map((d) => d.loinc),
    n: Float64Array.from(days, (d) => d.n),
    mean: Float64Array.from(days, (d) => d.mean),
    sd: Float64Array.from(days, (d) => d.sd),
  };
}

export const EMPTY_DEVICE_ANALYTES: DeviceAnalyteColumns = deviceAnalyteColumns([]);

interface Group {
  readonly device: string;
  readonly loinc: string;
  n: number;
  sum: number;
  sumSq: number;
  /** Sums are shifted by the first value, which keeps the variance exact for values far from 0. */
  readonly shift: number;
}

/** Summaries of one day's silver results (ANALYTE_INPUT columns), in file order. */
export function summarizeResults(date: string, batches: readonly ColumnBatch[], samplePerDay = ANALYTE_SAMPLE_PER_DAY): DaySummary {
  const groups: Group[] = [];
  // device -> loinc -> group, looked up once per pair of codes in a batch: no string per result.
  const index = new Map<string, Map<string, number>>();
  const values = new Map<string, number[]>();
  /** The position in `groups` of a device's analyte. */
  const groupOf = (device: string, loinc: string, first: number): number => {
    let byLoinc = index.get(device);
    if (!byLoinc) index.set(device, (byLoinc = new Map()));
    let g = byLoinc.get(loinc);
    if (g === undefined) byLoinc.set(loinc, (g = groups.push({ device, loinc, n: 0, sum: 0, sumSq: 0, shift: first }) - 1));
    return g;
  };
  const valuesOf = (loinc: string): number[] => {
    let list = values.get(loinc);
    if (!list) values.set(loinc, (list = []));
    return list;
  };
  for (const batch of batches) {
    const [devices, loincs] = [textCodes(batch, 'device_id'), textCodes(batch, 'loinc_code')];
    const results = columnOf(batch, 'result_value');
    const valuesOfLoinc = new Array<number[] | undefined>(loincs.values.length);
    // Position in `groups` of each (device, loinc) pair of codes; -1 until met.
    const groupOfPair = new Int32Array(devices.values.length * loincs.values.length).fill(-1);
    for (let i = 0; i < batch.length; i++) {
      const v = results[i];
      const device = devices.codes[i]!;
      const loinc = loincs.codes[i]!;
      if (typeof v !== 'number' || !Number.isFinite(v) || device < 0 || loinc < 0) continue;
      const pair = device * loincs.values.length + loinc;
      if (groupOfPair[pair]! < 0) groupOfPair[pair] = groupOf(devices.values[device]!, loincs.values[loinc]!, v);
      const g = groups[groupOfPair[pair]!]!;
      const d = v - g.shift;
      g.n++;
      g.sum += d;
      g.sumSq += d * d;
      (valuesOfLoinc[loinc] ??= valuesOf(loincs.values[loinc]!)).push(v);
    }
  }
  groups.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.loinc < b.loinc ? -1 : a.loinc > b.loinc ? 1 : 0));
  const deviceAnalytes: DeviceAnalyteColumns = {
    length: groups.length,
    device: groups.map((g) => g.device),
    loinc: groups.map((g) => g.loinc),
    n: Float64Array.from(groups, (g) => g.n),
    mean: Float64Array.from(groups, (g) => g.shift + g.sum / g.n),
    sd: Float64Array.from(groups, (g) => (g.n > 1 ? Math.sqrt(Math.max(0, (g.sumSq - (g.sum * g.sum) / g.n) / (g.n - 1))) : NaN)),
  };
  const samples = new Map<string, Float64Array>();
  for (const [loinc, list] of [...values].sort(([a], [b]) => (a < b ? -1 : 1))) samples.set(loinc, systematicSample(list, samplePerDay));
  return { date, deviceAnalytes, samples };
}

/** Every k-th value (k = n / size, fractional), so the sample keeps the day's order and spread. */
export function systematicSample(values: readonly number[], size: number): Float64Array {
  if (values.length <= size) return Float64Array.from(values);
  const out = new Float64Array(size);
  const step = values.length / size;
  for (let i = 0; i < size; i++) out[i] = values[Math.floor(i * step + step / 2)]!;
  return out;
}

/** The rows of gold analyte_daily and analyte_sample for a summary. */
export function analyteDayRows(summary: DaySummary): { daily: Row[]; sample: Row[] } {
  const c = summary.deviceAnalytes;
  const daily: Row[] = new Array(c.length);
  for (let i = 0; i < c.length; i++) daily[i] = { device_id: c.device[i]!, loinc_code: c.loinc[i]!, n: c.n[i]!, mean: c.mean[i]!, sd: Number.isNaN(c.sd[i]!) ? null : c.sd[i]! };
  const sample: Row[] = [];
  for (const [loinc, values] of summary.samples) for (const v of values) sample.push({ loinc_code: loinc, result_value: v });
  return { daily, sample };
}
