import type { Lake } from '../lake/lake.js';
import { ANALYTE_INPUT, EMPTY_DEVICE_ANALYTES, summarizeResults, type DaySummary, type DeviceAnalyteColumns } from '../pipeline/analyteDays.js';
import { writeAnalyteDay } from '../pipeline/gold.js';
import { ANALYTE_DAILY, ANALYTE_SAMPLE } from '../pipeline/goldTables.js';
import { SILVER_TABLES } from '../pipeline/silverTables.js';
import { readColumns, type Columns } from './lakeColumns.js';

/**
 * Monitoring's read of the daily result summaries (gold analyte_daily and analyte_sample,
 * pipeline/analyteDays.ts), which the gold-day unit writes with the day's aggregates. A day whose
 * summaries are missing or older than its silver partition (committed after them: late results,
 * a lake from before the summaries were gold) is summarized from silver here and written.
 */
function fromColumns(date: string, daily: readonly Columns[], sample: readonly Columns[]): DaySummary {
  const deviceAnalytes = concatColumns(daily);
  const lists = new Map<string, number[]>();
  for (const batch of sample) {
    const [loincs, values] = [batch.codes('loinc_code'), batch.number('result_value')];
    const listOfCode = loincs.values.map((loinc) => {
      let list = lists.get(loinc);
      if (!list) lists.set(loinc, (list = []));
      return list;
    });
    for (let i = 0; i < batch.length; i++) listOfCode[loincs.codes[i]!]?.push(values[i]!);
  }
  return { date, deviceAnalytes, samples: new Map([...lists].map(([k, v]) => [k, Float64Array.from(v)])) };
}

/** The files' columns end to end (device and LOINC code are never null in the table). */
function concatColumns(daily: readonly Columns[]): DeviceAnalyteColumns {
  // concat, not flatMap: flatMap copies element by element through the generic path (~0.3 us each).
  const texts = (name: string) => ([] as string[]).concat(...daily.map((b) => b.text(name) as string[]));
  const numbers = (name: string) => {
    const out = new Float64Array(daily.reduce((sum, b) => sum + b.length, 0));
    let o = 0;
    for (const b of daily) {
      out.set(b.number(name), o);
      o += b.length;
    }
    return out;
  };
  return { length: daily.reduce((sum, b) => sum + b.length, 0), device: texts('device_id'), loinc: texts('loinc_code'), n: numbers('n'), mean: numbers('mean'), sd: numbers('sd') };
}

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
  if (!silver) return { date, deviceAnalytes: EMPTY_DEVICE_ANALYTES, samples: new Map() };
  if (cached && cachedSample && cached.committedAt >= silver.committedAt && cachedSample.committedAt >= silver.committedAt) {
    const [daily, sample] = await Promise.all([readColumns(lake, ANALYTE_DAILY, partition, DAILY_COLUMNS, cached), readColumns(lake, ANALYTE_SAMPLE, partition, SAMPLE_COLUMNS, cachedSample)]);
    return fromColumns(date, daily, sample);
  }
  const summary = summarizeResults(date, await lake.readColumns(SILVER_TABLES.lab_results, partition, ANALYTE_INPUT, silver));
  await writeAnalyteDay(lake, date, `drift-${date}`, summary);
  return summary;
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
