import type { Lake, LakeTable, PartitionValues } from '../lake/lake.js';
import { SILVER_TABLES } from '../pipeline/silverTables.js';
import type { ColumnSpec, Row } from '../sources/schema.js';
import { readColumns, type Columns } from './lakeColumns.js';

/**
 * Daily summaries of silver lab results that drift monitoring reads instead of raw rows, so a
 * 28-day baseline costs 28 small partitions, not 28 days of results:
 * - gold/analyte_daily (per result_date): per device and LOINC analyte, n, mean and sample SD of
 *   the canonical result_value (quantitative results only);
 * - gold/analyte_sample (per result_date): per LOINC analyte, a systematic sample of at most
 *   `ANALYTE_SAMPLE_PER_DAY` result values (all of them on smaller days), for the per-analyte
 *   Kolmogorov-Smirnov tests and PSI.
 * They are derived, written on first use by monitoring and rebuilt when the silver partition was
 * committed after them (its manifest's committedAt), so late results are picked up.
 */
const col = (name: string, type: ColumnSpec['type']): ColumnSpec => ({ name, type });

export const ANALYTE_DAILY: LakeTable = {
  zone: 'gold',
  name: 'analyte_daily',
  columns: [col('device_id', 'string'), col('loinc_code', 'string'), col('n', 'int32'), col('mean', 'float64'), col('sd', 'float64')],
};

export const ANALYTE_SAMPLE: LakeTable = {
  zone: 'gold',
  name: 'analyte_sample',
  columns: [col('loinc_code', 'string'), col('result_value', 'float64')],
};

export const ANALYTE_SAMPLE_PER_DAY = 2000;

export interface DeviceAnalyteDay {
  readonly device: string;
  readonly loinc: string;
  readonly n: number;
  readonly mean: number;
  /** Sample SD; NaN when n < 2. */
  readonly sd: number;
}

export interface DaySummary {
  readonly date: string;
  readonly deviceAnalytes: readonly DeviceAnalyteDay[];
  /** Sampled result values per LOINC analyte. */
  readonly samples: ReadonlyMap<string, Float64Array>;
}

/** Summaries of one day's silver results (device_id, loinc_code, result_value), read as columns in file order. */
export function summarizeResults(date: string, batches: readonly Columns[], samplePerDay = ANALYTE_SAMPLE_PER_DAY): DaySummary {
  type Group = { device: string; loinc: string; n: number; sum: number; sumSq: number; shift: number };
  const groups: Group[] = [];
  // device -> loinc -> group: no key string per result.
  const index = new Map<string, Map<string, Group>>();
  const values = new Map<string, number[]>();
  for (const batch of batches) {
    const [devices, loincs, results] = [batch.text('device_id'), batch.text('loinc_code'), batch.number('result_value')];
    for (let i = 0; i < batch.length; i++) {
      const v = results[i]!;
      const device = devices[i];
      const loinc = loincs[i];
      if (!Number.isFinite(v) || typeof loinc !== 'string' || typeof device !== 'string') continue;
      let byLoinc = index.get(device);
      if (!byLoinc) index.set(device, (byLoinc = new Map()));
      let g = byLoinc.get(loinc);
      // Shifted sums (by the first value) keep the variance exact for values far from 0.
      if (!g) {
        byLoinc.set(loinc, (g = { device, loinc, n: 0, sum: 0, sumSq: 0, shift: v }));
        groups.push(g);
      }
      const d = v - g.shift;
      g.n++;
      g.sum += d;
      g.sumSq += d * d;
      let list = values.get(loinc);
      if (!list) values.set(loinc, (list = []));
      list.push(v);
    }
  }
  const deviceAnalytes = groups
    .map((g) => ({
      device: g.device,
      loinc: g.loinc,
      n: g.n,
      mean: g.shift + g.sum / g.n,
      sd: g.n > 1 ? Math.sqrt(Math.max(0, (g.sumSq - (g.sum * g.sum) / g.n) / (g.n - 1))) : NaN,
    }))
    .sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.loinc < b.loinc ? -1 : a.loinc > b.loinc ? 1 : 0));
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

function toRows(summary: DaySummary): { daily: Row[]; sample: Row[] } {
  const daily = summary.deviceAnalytes.map((d) => ({ device_id: d.device, loinc_code: d.loinc, n: d.n, mean: d.mean, sd: Number.isNaN(d.sd) ? null : d.sd }));
  const sample: Row[] = [];
  for (const [loinc, values] of summary.samples) for (const v of values) sample.push({ loinc_code: loinc, result_value: v });
  return { daily, sample };
}

function fromColumns(date: string, daily: readonly Columns[], sample: readonly Columns[]): DaySummary {
  const deviceAnalytes: DeviceAnalyteDay[] = [];
  for (const batch of daily) {
    const [devices, loincs, n, mean, sd] = [batch.text('device_id'), batch.text('loinc_code'), batch.number('n'), batch.number('mean'), batch.number('sd')];
    for (let i = 0; i < batch.length; i++) deviceAnalytes.push({ device: String(devices[i]), loinc: String(loincs[i]), n: n[i]!, mean: mean[i]!, sd: sd[i]! });
  }
  const lists = new Map<string, number[]>();
  for (const batch of sample) {
    const [loincs, values] = [batch.text('loinc_code'), batch.number('result_value')];
    for (let i = 0; i < batch.length; i++) {
      const loinc = String(loincs[i]);
      let list = lists.get(loinc);
      if (!list) lists.set(loinc, (list = []));
      list.push(values[i]!);
    }
  }
  return { date, deviceAnalytes, samples: new Map([...lists].map(([k, v]) => [k, Float64Array.from(v)])) };
}

const RESULT_COLUMNS = ['device_id', 'loinc_code', 'result_value'];
const DAILY_COLUMNS = ANALYTE_DAILY.columns.map((c) => c.name);
const SAMPLE_COLUMNS = ANALYTE_SAMPLE.columns.map((c) => c.name);

/**
 * The summaries of one day: read from the cache when it is at least as new as the silver
 * partition, else computed from silver and written. Days without silver results give an empty
 * summary (nothing written).
 */
export async function daySummary(lake: Lake, date: string): Promise<DaySummary> {
  const partition = { result_date: date };
  const [silver, cached, cachedSample] = await Promise.all([
    lake.readManifest(SILVER_TABLES.lab_results, partition),
    lake.readManifest(ANALYTE_DAILY, partition),
    lake.readManifest(ANALYTE_SAMPLE, partition),
  ]);
  if (!silver) return { date, deviceAnalytes: [], samples: new Map() };
  if (cached && cachedSample && cached.committedAt >= silver.committedAt && cachedSample.committedAt >= silver.committedAt) {
    const [daily, sample] = await Promise.all([readColumns(lake, ANALYTE_DAILY, partition, DAILY_COLUMNS), readColumns(lake, ANALYTE_SAMPLE, partition, SAMPLE_COLUMNS)]);
    return fromColumns(date, daily, sample);
  }
  const summary = summarizeResults(date, await readColumns(lake, SILVER_TABLES.lab_results, partition, RESULT_COLUMNS));
  const { daily, sample } = toRows(summary);
  const unit = `drift-${date}`;
  await Promise.all([writeInFiles(lake, ANALYTE_DAILY, partition, unit, daily), writeInFiles(lake, ANALYTE_SAMPLE, partition, unit, sample)]);
  return summary;
}

/** Rows per Parquet file of the summaries (10,000 devices x 5 analytes: one file a day). */
export const SUMMARY_FILE_ROWS = 50_000;

async function writeInFiles(lake: Lake, table: LakeTable, partition: PartitionValues, unit: string, rows: readonly Row[]): Promise<void> {
  const writer = lake.writer(table, partition, unit);
  for (let i = 0; i < rows.length; i += SUMMARY_FILE_ROWS) await writer.write(rows.slice(i, i + SUMMARY_FILE_ROWS));
  await writer.commit('replace');
}

/** Summaries of several days, a few at a time. */
export async function daySummaries(lake: Lake, dates: readonly string[], concurrency = 16): Promise<DaySummary[]> {
  const out = new Array<DaySummary>(dates.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < dates.length) {
      const i = next++;
      out[i] = await daySummary(lake, dates[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, dates.length) }, worker));
  return out;
}
