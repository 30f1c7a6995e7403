import { decodeStoredFile, encodeBatch, encodeFile, type EncodedFile, type LakeTable, type PartitionValues, type StoredFile } from '../lake/lake.js';
import type { Row } from '../sources/schema.js';
import { analyteDayRows, summarizeResults, type DaySummary } from './analyteDays.js';
import { ANALYTE_DAILY, ANALYTE_SAMPLE, DEVICE_DAILY, OUTBREAK_SERIES, QC_DAILY } from './goldTables.js';
import { DeviceDayTotals, LOG_INPUT, OutbreakSeriesTotals, QC_INPUT, QcRunsOfDay, RESULT_INPUT, qcDailyColumns } from './goldTransforms.js';
import { dayMs } from '../calendar/days.js';

/**
 * The CPU of a gold day, apart from its I/O: the day's silver files in, its gold files out,
 * encoded and ready to upload. Pure, so it runs on a worker thread while the main thread reads
 * and writes the lake.
 */
export interface GoldDayInput {
  readonly date: string;
  readonly results: readonly StoredFile[];
  readonly logs: readonly StoredFile[];
  /** QC of the day, then of each look-back day before it, newest first. */
  readonly qc: readonly (readonly StoredFile[])[];
}

/** A gold partition a day's unit replaces, encoded: its files in order. */
export interface EncodedPartition {
  readonly table: LakeTable;
  readonly partition: PartitionValues;
  readonly files: readonly EncodedFile[];
}

/** A day's gold partitions, encoded, and their counts. */
export interface PreparedGoldDay {
  readonly rowsIn: number;
  readonly deviceDays: number;
  readonly qcGroups: number;
  readonly series: number;
  readonly tables: readonly EncodedPartition[];
}

/** Rows per Parquet file of the analyte summaries (10,000 devices x 5 analytes: one file a day). */
export const SUMMARY_FILE_ROWS = 50_000;

export function prepareGoldDay(input: GoldDayInput): PreparedGoldDay {
  const totals = new DeviceDayTotals();
  const outbreaks = new OutbreakSeriesTotals();
  const qc = new QcRunsOfDay(dayMs(input.date));
  // Only the columns the aggregates read; logs and QC a file at a time, dropped once added.
  const results = input.results.map((file) => decodeStoredFile(file, RESULT_INPUT));
  totals.addResults(results);
  outbreaks.add(results);
  const analytes = summarizeResults(input.date, results);
  let rowsIn = results.reduce((sum, b) => sum + b.length, 0);
  for (const file of input.logs) {
    const logs = decodeStoredFile(file, LOG_INPUT);
    totals.addLogs([logs]);
    rowsIn += logs.length;
  }
  const [today = [], ...lookBack] = input.qc;
  for (const file of today) qc.add([decodeStoredFile(file, QC_INPUT)]);
  // Older days only while a material of the day still lacks its previous run (most need one day).
  for (const files of lookBack) {
    if (!qc.lacksEarlierRuns()) break;
    for (const file of files) qc.add([decodeStoredFile(file, QC_INPUT)]);
  }
  const qcRuns = qc.runs();
  totals.addQcRuns(qcRuns);
  const deviceDays = totals.rows();
  const qcDaily = qcDailyColumns(qcRuns);
  const series = outbreaks.rows();
  return {
    rowsIn: rowsIn + qcRuns.length,
    deviceDays: deviceDays.length,
    qcGroups: qcDaily.length,
    series: series.length,
    tables: [
      { table: DEVICE_DAILY, partition: { activity_date: input.date }, files: inFiles(DEVICE_DAILY, deviceDays, Infinity) },
      { table: QC_DAILY, partition: { run_date: input.date }, files: qcDaily.length > 0 ? [encodeBatch(QC_DAILY, qcDaily)] : [] },
      { table: OUTBREAK_SERIES, partition: { series_date: input.date }, files: inFiles(OUTBREAK_SERIES, series, Infinity) },
      ...encodeAnalyteDay(analytes),
    ],
  };
}

/** A day summary as the files of its analyte_daily and analyte_sample partitions. */
export function encodeAnalyteDay(summary: DaySummary): EncodedPartition[] {
  const { daily, sample } = analyteDayRows(summary);
  const partition = { result_date: summary.date };
  return [
    { table: ANALYTE_DAILY, partition, files: inFiles(ANALYTE_DAILY, daily, SUMMARY_FILE_ROWS) },
    { table: ANALYTE_SAMPLE, partition, files: inFiles(ANALYTE_SAMPLE, sample, SUMMARY_FILE_ROWS) },
  ];
}

function inFiles(table: LakeTable, rows: readonly Row[], perFile: number): EncodedFile[] {
  const files: EncodedFile[] = [];
  for (let i = 0; i < rows.length; i += perFile) files.push(encodeFile(table, rows.slice(i, i + perFile)));
  return files;
}
