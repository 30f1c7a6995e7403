import type { Lake, LakeTable, PartitionValues } from '../lake/lake.js';
import { SILVER_TABLES } from '../pipeline/silverTables.js';
import type { ColumnSpec, Row } from '../sources/schema.js';

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

/** Summaries of one day's silver result rows (device_id, loinc_code, result_value). */
export function summarizeResults(date: string, rows: readonly Row[], samplePerDay = ANALYTE_SAMPLE_PER_DAY): DaySummary {
  const groups = new Map<string, { device: string; loinc: string; n: number; sum: number; sumSq: number; shift: number }>();
  const values = new Map<string, number[]>();
  for (const row of rows) {
    const v = row.result_value;
    if (typeof v !== 'number' || !Number.isFinite(v) || typeof row.loinc_code !== 'string' || typeof row.device_id !== 'string') continue;
    const key = `${row.device_id}|${row.loinc_code}`;
    let g = groups.get(key);
    // Shifted sums (by the first value) keep the variance exact for values far from 0.
    if (!g) groups.set(key, (g = { device: row.device_id, loinc: row.loinc_code, n: 0, sum: 0, sumSq: 0, shift: v }));
    const d = v - g.shift;
    g.n++;
    g.sum += d;
    g.sumSq += d * d;
    let list = values.get(row.loinc_code);
    if (!list) values.set(row.loinc_code, (list = []));
    list.push(v);
  }
  const deviceAnalytes = [...groups.values()]
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

function fromRows(date: string, daily: readonly Row[], sample: readonly Row[]): DaySummary {
  const deviceAnalytes = daily.map((r) => ({ device: String(r.device_id), loinc: String(r.loinc_code), n: Number(r.n), mean: Number(r.mean), sd: typeof r.sd === 'number' ? r.sd : NaN }));
  const lists = new Map<string, number[]>();
  for (const r of sample) {
    const loinc = String(r.loinc_code);
    let list = lists.get(loinc);
    if (!list) lists.set(loinc, (list = []));
    list.push(Number(r.result_value));
  }
  return { date, deviceAnalytes, samples: new Map([...lists].map(([k, v]) => [k, Float64Array.from(v)])) };
}

const RESULT_COLUMNS = ['device_id', 'loinc_code', 'result_value'];

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
    const [daily, sample] = await Promise.all([lake.readRows(ANALYTE_DAILY, partition), lake.readRows(ANALYTE_SAMPLE, partition)]);
    return fromRows(date, daily, sample);
  }
  const summary = summarizeResults(date, await lake.readRows(SILVER_TABLES.lab_results, partition, RESULT_COLUMNS));
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
