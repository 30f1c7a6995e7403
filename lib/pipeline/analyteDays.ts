import { numbersOf, textCodes, textCoder, type ColumnBatch } from '../lake/parquet.js';
import { NumberList, numberColumn, orderByKey } from '../lake/numbers.js';
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

/** Summaries of one day's silver results (ANALYTE_INPUT columns), in file order. */
export function summarizeResults(date: string, batches: readonly ColumnBatch[], samplePerDay = ANALYTE_SAMPLE_PER_DAY): DaySummary {
  const totals = new AnalyteTotals();
  for (const batch of batches) totals.add(batch);
  return totals.summary(date, samplePerDay);
}

/** Per (device, LOINC analyte) n and sums, and per analyte its values, added to batch by batch. */
class AnalyteTotals {
  private readonly deviceIds = textCoder();
  private readonly loincIds = textCoder();
  // Per group, in columns. Sums are shifted by the group's first value, which keeps the
  // variance exact for values far from 0.
  private readonly device = new NumberList();
  private readonly loinc = new NumberList();
  private readonly count = new NumberList();
  private readonly sum = new NumberList();
  private readonly sumSq = new NumberList();
  private readonly shift = new NumberList();
  /** Per LOINC id, the group of each device id (-1: none yet): whole-number slots, not a Map of packed keys past the small-integer range. */
  private readonly groupOfDevice: NumberList[] = [];
  /** Values by LOINC id. */
  private readonly values: NumberList[] = [];

  add(batch: ColumnBatch): void {
    const [devices, loincs] = [textCodes(batch, 'device_id'), textCodes(batch, 'loinc_code')];
    const [deviceId, loincId] = [this.deviceIds.codesOf(devices.values), this.loincIds.codesOf(loincs.values)];
    const results = numbersOf(batch, 'result_value');
    const width = loincs.values.length;
    // The group of each (device, loinc) pair of the batch's codes; -1 until met.
    const groupOfPair = new Int32Array(devices.values.length * width).fill(-1);
    const valuesOf = Array.from(loincId, (id) => (this.values[id] ??= new NumberList()));
    for (let i = 0; i < batch.length; i++) {
      const v = results[i]!;
      const device = devices.codes[i]!;
      const loinc = loincs.codes[i]!;
      if (!Number.isFinite(v) || device < 0 || loinc < 0) continue;
      const pair = device * width + loinc;
      let g = groupOfPair[pair]!;
      if (g < 0) groupOfPair[pair] = g = this.groupOf(deviceId[device]!, loincId[loinc]!, v);
      const d = v - this.shift.get(g);
      this.count.add(g, 1);
      this.sum.add(g, d);
      this.sumSq.add(g, d * d);
      valuesOf[loinc]!.push(v);
    }
  }

  /** The group of a device and analyte (by id), made with `first` as its shift when new. */
  private groupOf(device: number, loinc: number, first: number): number {
    const groups = (this.groupOfDevice[loinc] ??= new NumberList(-1));
    let g = groups.get(device);
    if (g < 0) {
      groups.set(device, (g = this.device.length));
      this.device.push(device);
      this.loinc.push(loinc);
      this.count.push(0);
      this.sum.push(0);
      this.sumSq.push(0);
      this.shift.push(first);
    }
    return g;
  }

  /** Groups sorted by device, then analyte; samples by analyte. */
  summary(date: string, samplePerDay: number): DaySummary {
    const [devices, loincs] = [this.deviceIds.values, this.loincIds.values];
    const [device, loinc, count, sum, sumSq, shift] = [this.device, this.loinc, this.count, this.sum, this.sumSq, this.shift].map((list) => list.values());
    // By device, then analyte: their places in sorted order packed into one whole number.
    const [deviceRank, loincRank] = [rankOf(devices), rankOf(loincs)];
    const order = orderByKey(numberColumn(device!.length, (g) => deviceRank[device![g]!]! * loincs.length + loincRank[loinc![g]!]!));
    const deviceAnalytes: DeviceAnalyteColumns = {
      length: order.length,
      device: Array.from(order, (g) => devices[device![g]!]!),
      loinc: Array.from(order, (g) => loincs[loinc![g]!]!),
      n: numberColumn(order.length, (k) => count![order[k]!]!),
      mean: numberColumn(order.length, (k) => shift![order[k]!]! + sum![order[k]!]! / count![order[k]!]!),
      sd: numberColumn(order.length, (k) => {
        const g = order[k]!;
        const n = count![g]!;
        return n > 1 ? Math.sqrt(Math.max(0, (sumSq![g]! - (sum![g]! * sum![g]!) / n) / (n - 1))) : NaN;
      }),
    };
    const samples = new Map<string, Float64Array>();
    const measured = loincs.map((name, id) => [name, id] as const).filter(([, id]) => (this.values[id]?.length ?? 0) > 0);
    for (const [name, id] of measured.sort(([a], [b]) => compareText(a, b))) samples.set(name, systematicSample(this.values[id]!.values(), samplePerDay));
    return { date, deviceAnalytes, samples };
  }
}

/** Each string's place in sorted order. */
function rankOf(values: readonly string[]): Int32Array {
  const order = Array.from(values.keys()).sort((a, b) => compareText(values[a]!, values[b]!));
  const rank = new Int32Array(values.length);
  order.forEach((id, place) => (rank[id] = place));
  return rank;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every k-th value (k = n / size, fractional), so the sample keeps the day's order and spread. */
export function systematicSample(values: ArrayLike<number>, size: number): Float64Array {
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
