/**
 * Drift and outbreak detection for one day at the seed's scale: 10,000 devices (5 analytes each,
 * 28 baseline + 7 current days, QC of 5 tests x 2 control levels a day) and 20 infectious tests x
 * 100 regions with 6 years of daily series (so Farrington runs). Two figures each:
 * - compute: the report and the signals from inputs already in memory (the pure code);
 * - end to end: the daily jobs' reads from an embedded Azurite holding those inputs as the lake
 *   does (gold device_features, the daily result summaries the gold-day units wrote, silver QC,
 *   gold outbreak_series), plus the compute; the job's writes (report blob,
 *   signal rows, alert events) are not included.
 * The end-to-end pair runs `--repeat` times (default 3; the machine's other load varies between
 * runs) and each run is printed with the median.
 * Usage: node dist/bench/monitor.js [--devices 10000] [--tests 20] [--regions 100] [--repeat 3] [--no-lake]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { loadConfig } from '../lib/config/config.js';
import { analyteNames, computeDriftReport, defaultWindows, driftOptions, featureSamples, QC_LOOKBACK_DAYS, readQc } from '../lib/drift/job.js';
import { columnsOfRows } from '../lib/drift/lakeColumns.js';
import { westgardOfColumns } from '../lib/drift/qc.js';
import { buildDriftReport, DEFAULT_DRIFT_OPTIONS } from '../lib/drift/report.js';
import { daySummaries, daySummary } from '../lib/drift/summaries.js';
import { ANALYTE_SAMPLE_PER_DAY, deviceAnalyteColumns, type DaySummary } from '../lib/pipeline/analyteDays.js';
import { writeAnalyteDay } from '../lib/pipeline/gold.js';
import { FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { computeOutbreakSignals, neededDays, RECENT_DAYS, signalsOnLastDay } from '../lib/outbreaks/job.js';
import { DEFAULT_OUTBREAK_SETTINGS, farringtonHistoryDays } from '../lib/outbreaks/methods.js';
import { seriesFromHistory, type SeriesSet } from '../lib/outbreaks/series.js';
import { DEVICE_FEATURES, OUTBREAK_SERIES, shardLabel, shardOf } from '../lib/pipeline/goldTables.js';
import { SILVER_TABLES } from '../lib/pipeline/silverTables.js';
import { startAzurite } from '../lib/platform/azurite.js';
import { ensureStorageResources, storageFromConnectionString } from '../lib/platform/storage.js';
import { scaledRegions, scaledTests, simulateTestHistory, type TestHistory } from '../lib/simulate/history.js';
import { Rng } from '../lib/simulate/random.js';
import { ANALYTES } from '../lib/standards/analytes.js';
import type { Row } from '../lib/sources/schema.js';
import { peakRssMb, processCpuMs } from './figures.js';
import { addDays, dateRange, DAY_MS } from '../lib/calendar/days.js';

const { values } = parseArgs({ options: { devices: { type: 'string' }, tests: { type: 'string' }, regions: { type: 'string' }, repeat: { type: 'string' }, 'no-lake': { type: 'boolean' } }, strict: false });
const DEVICES = Number(values.devices ?? 10_000);
const TESTS = Number(values.tests ?? 20);
const REGIONS = Number(values.regions ?? 100);
const REPEAT = Math.max(1, Number(values.repeat ?? 3));
const BASELINE_DAYS = 28;
const CURRENT_DAYS = 7;
const DAYS = BASELINE_DAYS + CURRENT_DAYS;
const QC_DAYS = CURRENT_DAYS + 10;
const ANALYTES_PER_DEVICE = 5;
const RESULTS_PER_DEVICE_DAY = 75;
const LATEST = '2026-06-30';
const day = (i: number) => new Date(Date.parse(`${LATEST}T00:00:00Z`) - (DAYS - 1 - i) * DAY_MS).toISOString().slice(0, 10);
const quantitative = ANALYTES.filter((a) => a.canonicalUnit !== null).slice(0, 19);
const deviceId = (d: number) => `DEV${String(d).padStart(5, '0')}`;
const analytesOf = (d: number) => Array.from({ length: ANALYTES_PER_DEVICE }, (_, j) => quantitative[(d + j * 4) % quantitative.length]!);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const load = (): string => `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`;
const n = (x: number) => x.toLocaleString('en-US');

// A full collection before each timed part: the garbage of generating the inputs (millions of
// rows) is this benchmark's, not the job's, and would otherwise be collected inside the timing.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Wall-clock and CPU milliseconds (CPU time is what other processes on the machine cannot inflate). */
function timed<T>(work: () => T): { value: T; ms: number; cpuMs: number } {
  collectGarbage();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const value = work();
  const c = process.cpuUsage(c0);
  return { value, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

async function timedAsync<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  collectGarbage();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const value = await work();
  const c = process.cpuUsage(c0);
  return { value, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

// ---- inputs ------------------------------------------------------------------------------------
interface DriftData {
  readonly summaries: DaySummary[];
  readonly featureDays: Row[][];
  readonly qcDays: Row[][];
}

function makeDriftData(seed: number): DriftData {
  const rng = new Rng(seed, 1);
  const summaries: DaySummary[] = Array.from({ length: DAYS }, (_, i) => {
    const deviceAnalytes = [];
    for (let d = 0; d < DEVICES; d++) {
      const shift = d % 1000 === 7 && i >= BASELINE_DAYS ? 0.08 : 0;
      for (const a of analytesOf(d)) deviceAnalytes.push({ device: deviceId(d), loinc: a.loinc, n: 15, mean: 100 * (1 + shift) + 2.5 * rng.normal(), sd: 10 });
    }
    const samples = new Map(quantitative.map((a) => [a.loinc, Float64Array.from({ length: ANALYTE_SAMPLE_PER_DAY }, () => 100 + 10 * rng.normal())]));
    return { date: day(i), deviceAnalytes: deviceAnalyteColumns(deviceAnalytes), samples };
  });
  const featureDays = Array.from({ length: DAYS }, (_, i) =>
    Array.from({ length: DEVICES }, (_, d) => {
      const row: Row = { device_id: deviceId(d), failure_within_7d: 0, label_observed: 1 };
      for (const f of FEATURE_NAMES) row[f] = rng.next() * (i >= BASELINE_DAYS && f === 'error_rate_7d' ? 1.2 : 1);
      return row;
    }),
  );
  const qcDays = Array.from({ length: QC_DAYS }, (_, i) => {
    const rows: Row[] = [];
    const at = Date.parse(`${day(DAYS - QC_DAYS + i)}T06:00:00Z`);
    for (let d = 0; d < DEVICES; d++) {
      for (const a of analytesOf(d)) {
        for (const level of [1, 2]) {
          rows.push({ device_id: deviceId(d), test_code: a.loinc, loinc_code: a.loinc, control_level: level, measured_value: 100 * level + 2 * 1.2 * rng.normal(), target_mean: 100 * level, target_sd: 2, run_at: at + level * 60_000 });
        }
      }
    }
    return rows;
  });
  return { summaries, featureDays, qcDays };
}

const years = Math.ceil(farringtonHistoryDays(5) / 365) + 1;
function makeHistory(): TestHistory {
  const start = new Date(Date.parse(`${LATEST}T00:00:00Z`) - (Math.round(years * 365.25) - 1) * DAY_MS).toISOString().slice(0, 10);
  return simulateTestHistory({ years, tests: scaledTests(TESTS), regions: scaledRegions(REGIONS), start });
}

const window = defaultWindows(LATEST, BASELINE_DAYS, CURRENT_DAYS);
const settings = { ...DEFAULT_OUTBREAK_SETTINGS };
const rule = { methods: ['ears_c1', 'cusum', 'scan', 'positivity_seasonal'] as const, min: 2 };

// ---- compute only -------------------------------------------------------------------------------
/**
 * The drift inputs in the form the job holds them: feature values and QC as columns (as the job
 * reads them from the lake), daily summaries as columns. The generated rows are dropped here, so
 * the garbage collector does not walk 1.7M QC row objects the job never has.
 */
function driftInputs(seed: number) {
  const data = makeDriftData(seed);
  const values = (days: Row[][], f: string) => Float64Array.from(days.flat(), (r) => r[f] as number);
  const features = new Map(FEATURE_NAMES.map((f) => [f, { baseline: values(data.featureDays.slice(0, BASELINE_DAYS), f), current: values(data.featureDays.slice(BASELINE_DAYS), f) }]));
  const qcBatches = data.qcDays.map((rows) => {
    const columns = columnsOfRows(rows);
    const numbers = new Map(['control_level', 'measured_value', 'target_mean', 'target_sd', 'run_at'].map((name) => [name, columns.number(name)]));
    const texts = new Map(['device_id', 'test_code', 'loinc_code'].map((name) => [name, columns.text(name)]));
    const codes = new Map(['device_id', 'test_code', 'loinc_code'].map((name) => [name, columns.codes(name)]));
    return { length: rows.length, number: (name: string) => numbers.get(name)!, text: (name: string) => texts.get(name)!, codes: (name: string) => codes.get(name)! };
  });
  return { summaries: data.summaries, features, qcBatches, measurements: data.qcDays.reduce((sum, rows) => sum + rows.length, 0) };
}

/** The pure drift code on inputs in memory (they die with the call, as with a timer invocation). */
function driftCompute(): { ms: number; cpuMs: number } {
  const data = driftInputs(7);
  const { features, qcBatches, measurements } = data;
  const qc = timed(() => westgardOfColumns(qcBatches, window.current.start));
  const report = timed(() =>
    buildDriftReport(
      { baseline: window.baseline, current: window.current, features, baselineDays: data.summaries.slice(0, BASELINE_DAYS), currentDays: data.summaries.slice(BASELINE_DAYS), qc: qc.value },
      DEFAULT_DRIFT_OPTIONS,
    ),
  );
  const s = report.value.summary;
  const nullBeyond3 = report.value.calibration.filter((c) => c.level === 'WARNING' && Math.max(Math.abs(c.self_z ?? 0), Math.abs(c.peer_z ?? 0)) > DEFAULT_DRIFT_OPTIONS.criticalZ).length;
  console.log(
    `drift report, one day at ${n(DEVICES)} devices: ${n(s.device_analytes_checked)} device/analyte pairs over ${BASELINE_DAYS} + ${CURRENT_DAYS} days, ${s.tests} KS/PSI tests on ${n(BASELINE_DAYS * DEVICES)} + ${n(CURRENT_DAYS * DEVICES)} device-days and ${n(BASELINE_DAYS * ANALYTE_SAMPLE_PER_DAY)} + ${n(CURRENT_DAYS * ANALYTE_SAMPLE_PER_DAY)} results per analyte, Westgard on ${n(measurements)} QC measurements (${QC_LOOKBACK_DAYS} days of history + ${CURRENT_DAYS} reported)`,
  );
  console.log(
    `  compute: ${seconds(qc.ms + report.ms)} wall, ${seconds(qc.cpuMs + report.cpuMs)} CPU (Westgard ${seconds(qc.ms)}, KS/PSI/calibration report ${seconds(report.ms)}); ${s.devices_with_drift} devices CRITICAL (${DEVICES / 1000} shifted by 0.08 x the mean; ${nullBeyond3} other pairs with |z| > 3 reported as WARNING after BH), ${s.data_drift_tests} drifting tests, alert level ${report.value.alert_level}`,
  );
  return { ms: qc.ms + report.ms, cpuMs: qc.cpuMs + report.cpuMs };
}

/** The pure outbreak code on a generated history in memory. */
function outbreakCompute(): { ms: number; cpuMs: number } {

  const generated = timed(() => makeHistory());
  const full = seriesFromHistory(generated.value, true);
  const from = full.dates.length - farringtonHistoryDays(5);
  const set: SeriesSet = { dates: full.dates.slice(from), series: full.series.map((x) => ({ ...x, tests: x.tests.subarray(from), positives: x.positives.subarray(from) })) };
  const outbreaks = timed(() => signalsOnLastDay(set, settings, rule, set.dates.length - RECENT_DAYS));
  console.log(
    `outbreak detection, one day: ${TESTS} tests x ${REGIONS} regions (${n(outbreaks.value.length)} series with the per-test totals), ${years} years of daily series (generated in ${seconds(generated.ms)}), 8 methods, scan with ${settings.scanReplicas} replicas`,
  );
  console.log(
    `  compute: ${seconds(outbreaks.ms)} wall, ${seconds(outbreaks.cpuMs)} CPU; ${outbreaks.value.filter((x) => x.alarms.length > 0).length} series with a signal, ${outbreaks.value.filter((x) => x.alerting.length > 0).length} alerting, Farrington thresholds on ${outbreaks.value.filter((x) => x.signals.farrington.threshold !== null).length}`,
  );
  return { ms: outbreaks.ms, cpuMs: outbreaks.cpuMs };
}

// ---- end to end from the lake -------------------------------------------------------------------
async function limit(work: (() => Promise<unknown>)[], concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < work.length) await work[next++]!();
    }),
  );
}

/** Writes the inputs as the lake holds them; they are garbage once this returns. */
async function writeLake(ctx: AppContext): Promise<number> {
  const rng = new Rng(11, 2);
  const { summaries, featureDays, qcDays } = makeDriftData(11);
  const history = makeHistory();
  const jobs: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < DAYS; i++) {
    const date = day(i);
    for (let shard = 0; shard < 4; shard++) {
      jobs.push(() => ctx.lake.writePartition(DEVICE_FEATURES, { feature_date: date, shard: shardLabel(shard) }, 'bench', featureDays[i]!.filter((r) => shardOf(String(r.device_id), 4) === shard)));
    }
    if (i < DAYS - 1) {
      // Older days: silver first (a stand-in row), then the summaries the gold-day unit wrote after it.
      jobs.push(async () => {
        await ctx.lake.writePartition(SILVER_TABLES.lab_results, { result_date: date }, 'bench', [{ result_id: `x${i}`, device_id: 'DEV00000', loinc_code: quantitative[0]!.loinc, result_value: 100 }]);
        await writeAnalyteDay(ctx.lake, date, 'bench', summaries[i]!);
      });
    }
  }
  // The newest day in silver, in files of 50,000 rows as silver writes a day, then summarized from
  // there as its gold-day unit does (bench/pipeline.ts times that unit).
  jobs.push(async () => {
    const writer = ctx.lake.writer(SILVER_TABLES.lab_results, { result_date: LATEST }, 'bench');
    const total = DEVICES * RESULTS_PER_DEVICE_DAY;
    for (let start = 0; start < total; start += 50_000) {
      await writer.write(
        Array.from({ length: Math.min(50_000, total - start) }, (_, j) => {
          const k = start + j;
          const d = Math.floor(k / RESULTS_PER_DEVICE_DAY);
          return { result_id: `r${k}`, device_id: deviceId(d), loinc_code: analytesOf(d)[k % ANALYTES_PER_DEVICE]!.loinc, result_value: 100 + 10 * rng.normal() };
        }),
      );
    }
    await writer.commit('replace');
    await daySummary(ctx.lake, LATEST);
  });
  qcDays.forEach((rows, i) => jobs.push(() => ctx.lake.writePartition(SILVER_TABLES.quality_control, { run_date: day(DAYS - QC_DAYS + i) }, 'bench', rows)));
  const dateIndex = new Map(history.dates.map((d, i) => [d, i]));
  for (const date of neededDays(LATEST, 5)) {
    const i = dateIndex.get(date);
    if (i === undefined) continue;
    jobs.push(() =>
      ctx.lake.writePartition(
        OUTBREAK_SERIES,
        { series_date: date },
        'bench',
        history.series.map((x) => ({ loinc_code: x.loinc, loinc_name: x.loincName, region: x.regionId, tests: x.tests[i]!, positives: x.positives[i]!, positivity: x.tests[i]! > 0 ? x.positives[i]! / x.tests[i]! : 0 })),
      ),
    );
  }
  await limit(jobs);
  return jobs.length;
}

/** The drift job's parts one by one, after its run. */
async function driftParts(ctx: AppContext): Promise<void> {
  const features = await timedAsync(() => featureSamples(ctx, window));
  const baseline = await timedAsync(() => daySummaries(ctx.lake, dateRange(window.baseline.start, window.baseline.end)));
  const current = await timedAsync(() => daySummaries(ctx.lake, dateRange(window.current.start, window.current.end)));
  const qc = await timedAsync(() => readQc(ctx, addDays(window.current.start, -QC_LOOKBACK_DAYS), window.current.end, window.current.start));
  const report = timed(() => buildDriftReport({ ...window, features: features.value, baselineDays: baseline.value, currentDays: current.value, qc: qc.value, analyteNames: analyteNames() }, driftOptions(ctx.config)));
  const part = (name: string, t: { ms: number; cpuMs: number }) => `${name} ${seconds(t.ms)} (${seconds(t.cpuMs)} CPU)`;
  console.log(
    `    its parts one by one: ${[part('features read', features), part('baseline summaries read', baseline), part('current summaries read', current), part('QC read + Westgard', qc), part('report', report)].join(', ')}`,
  );
}

console.log(`monitoring benchmark (${load()})`);
const drift = driftCompute();
const outbreak = outbreakCompute();
console.log(`drift + outbreak detection compute: ${seconds(drift.ms + outbreak.ms)} wall, ${seconds(drift.cpuMs + outbreak.cpuMs)} CPU (target < 10 s; ${load()})`);

if (!values['no-lake']) {
  const azurite = await startAzurite();
  try {
    const storage = storageFromConnectionString(azurite.connectionString);
    await ensureStorageResources(storage);
    const ctx = createAppContext(loadConfig({ GOLD_SHARDS: '4' }), storage);
    const setup = performance.now();
    const partitions = await writeLake(ctx);
    console.log(`lake for the end-to-end run written in ${seconds(performance.now() - setup)} (${partitions} partitions on an in-memory Azurite)`);
    // The day before's run, as the daily timer made it: it packed the past months both days read.
    const yesterday = await timedAsync(() => computeOutbreakSignals(ctx, addDays(LATEST, -1)));
    console.log(`  the day before's outbreak detection: ${seconds(yesterday.ms)}, packing ${yesterday.value!.monthsPacked} past months of series for the days after it`);
    console.log(`  (${load()})`);
    const totals: number[] = [];
    for (let r = 1; r <= REPEAT; r++) {
      const azuriteBefore = processCpuMs(azurite.pid);
      const driftLake = await timedAsync(() => computeDriftReport(ctx, window));
      const outbreakLake = await timedAsync(() => computeOutbreakSignals(ctx, LATEST));
      const azuriteAfter = processCpuMs(azurite.pid);
      const azuriteCpu = azuriteBefore === null || azuriteAfter === null ? '' : `; Azurite used ${seconds(azuriteAfter - azuriteBefore)} CPU meanwhile`;
      totals.push(driftLake.ms + outbreakLake.ms);
      console.log(`  run ${r}: drift end to end ${seconds(driftLake.ms)} wall, ${seconds(driftLake.cpuMs)} CPU of this process (${driftLake.value.summary.devices_with_drift} devices CRITICAL)`);
      console.log(`         outbreak detection end to end ${seconds(outbreakLake.ms)} wall, ${seconds(outbreakLake.cpuMs)} CPU (${outbreakLake.value!.daysRead} series days read, ${outbreakLake.value!.monthsPacked} months packed, Farrington ${outbreakLake.value!.farrington ? 'ran' : 'did not run'})`);
      console.log(`         drift + outbreak detection ${seconds(driftLake.ms + outbreakLake.ms)} wall, ${seconds(driftLake.cpuMs + outbreakLake.cpuMs)} CPU (${load()}${azuriteCpu})`);
    }
    await driftParts(ctx);
    const median = [...totals].sort((a, b) => a - b)[Math.floor(totals.length / 2)]!;
    console.log(`drift + outbreak detection end to end: median ${seconds(median)} of ${REPEAT} runs (${totals.map(seconds).join(', ')}; target < 10 s; Azurite serves from a child process)`);
    await ctx.close();
  } finally {
    await azurite.stop();
  }
}
console.log(`peak RSS: ${peakRssMb()} MB`);
