/**
 * Bronze to gold at scale: the simulated lab is written by another process, then this process
 * runs the pipeline (bronze, silver, gold through the queues, as `lims-mlops run` does) on a
 * disk-backed Azurite and prints throughput per stage and its own peak RSS; then the biggest unit
 * of each kind runs again alone in a fresh process (bench/unit.ts) for its own peak RSS.
 * Usage: node dist/bench/pipeline.js [--devices 10000] [--days 30] [--results-per-device-day 33]
 * WORKER_THREADS=N sets the setting of that name (default 2). BENCH_CPU_PROF=DIR writes a V8 CPU profile of each lone unit into DIR (profile this process with node --cpu-prof).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { runPipeline } from '../lib/local/pipelineRun.js';
import { bronzeUnits, type BronzeCommit } from '../lib/pipeline/bronze.js';
import { MAX_FEATURE_RUN_DAYS } from '../lib/pipeline/gold.js';
import { SILVER_TABLES } from '../lib/pipeline/silverTables.js';
import { startAzurite } from '../lib/platform/azurite.js';
import { ensureStorageResources, storageFromConnectionString } from '../lib/platform/storage.js';
import { benchConfig, peakRssMb, processCpuMs, rate } from './figures.js';

/** The biggest unit of each kind in the run: the largest lab_results bronze unit, the busiest day, the longest feature run. */
async function largestUnits(ctx: AppContext): Promise<[string, unknown][]> {
  const largest = (await bronzeUnits(ctx.lake, 'lab_results', '0000-01-01', '9999-12-31')).reduce<BronzeCommit | undefined>((max, unit) => (max && max.rows >= unit.rows ? max : unit), undefined);
  const days = (await ctx.lake.listPartitions(SILVER_TABLES.lab_results)).map((p) => p.result_date!).filter((d) => d !== 'unknown').sort();
  let busiest = { date: days[0]!, rows: -1 };
  for (const date of days) {
    const rows = (await ctx.lake.partitionFiles(SILVER_TABLES.lab_results, { result_date: date })).reduce((sum, f) => sum + f.rows, 0);
    if (rows > busiest.rows) busiest = { date, rows };
  }
  const featureRun = { from: days[0]!, to: days[Math.min(days.length, MAX_FEATURE_RUN_DAYS) - 1]!, shard: 0 };
  return [
    ['silver', largest],
    ['gold-day', { date: busiest.date }],
    ['gold-features', featureRun],
  ];
}

const { values } = parseArgs({ options: { devices: { type: 'string' }, days: { type: 'string' }, 'results-per-device-day': { type: 'string' } } });
const devices = values.devices ?? '10000';
const days = values.days ?? '30';
const perDay = values['results-per-device-day'] ?? '33';
const work = mkdtempSync(path.join(tmpdir(), 'lims-bench-pipeline-'));
const cli = fileURLToPath(new URL('../lib/local/cli.js', import.meta.url));
const simulated = spawnSync(process.execPath, [cli, 'simulate', '--json', '--out', path.join(work, 'lims'), '--devices', devices, '--days', days, '--results-per-device-day', perDay], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (simulated.status !== 0) throw new Error(`simulate failed with exit code ${simulated.status}`);
const azurite = await startAzurite({ location: path.join(work, 'azurite') });
try {
  const storage = storageFromConnectionString(azurite.connectionString);
  await ensureStorageResources(storage);
  const ctx = createAppContext(benchConfig(work), storage, work);
  const [cpuBefore, azuriteBefore] = [process.cpuUsage(), processCpuMs(azurite.pid)];
  const counts = await runPipeline(ctx);
  const [cpu, azuriteAfter] = [process.cpuUsage(cpuBefore), processCpuMs(azurite.pid)];
  const bronzeRows = counts.bronze.reduce((sum, r) => sum + r.rowsWritten, 0);
  const labResults = counts.silver.lab_results?.rowsIn ?? 0;
  const silverRows = Object.values(counts.silver).reduce((sum, c) => sum + (c?.rowsIn ?? 0), 0);
  console.log(`scale: ${devices} devices x ${days} days; ${labResults.toLocaleString('en-US')} lab results, ${silverRows.toLocaleString('en-US')} rows in all`);
  console.log(`bronze: ${rate(bronzeRows, counts.seconds.bronze * 1000)}`);
  console.log(`silver: ${rate(silverRows, counts.seconds.silver * 1000)}`);
  console.log(`gold: ${counts.gold.days} days, ${counts.gold.featureUnits} feature units, ${counts.gold.featureRows.toLocaleString('en-US')} device-days in ${counts.seconds.gold.toFixed(1)} s`);
  const silverGold = counts.seconds.silver + counts.seconds.gold;
  console.log(`silver + gold: ${Math.round(labResults / silverGold).toLocaleString('en-US')} lab results/s (target >= 100,000) over ${silverGold.toFixed(1)} s`);
  const azuriteCpu = azuriteBefore === null || azuriteAfter === null ? 'unknown' : `${((azuriteAfter - azuriteBefore) / 1000).toFixed(1)} s`;
  console.log(`CPU over bronze, silver and gold: this process ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (main thread and ${ctx.config.WORKER_THREADS} workers), Azurite ${azuriteCpu}`);
  console.log(`peak RSS of the process running the units of work (4 at a time, with its caches): ${peakRssMb()} MB`);
  if (counts.parked > 0) console.log(`WARNING: ${counts.parked} messages parked`);
  for (const [kind, message] of await largestUnits(ctx)) {
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = spawnSync(process.execPath, [...profile, fileURLToPath(new URL('./unit.js', import.meta.url)), work, kind, JSON.stringify(message)], {
      encoding: 'utf8',
      env: { ...process.env, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`unit ${kind} failed with exit code ${child.status}`);
    const unit = JSON.parse(child.stdout.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number; peakRssMb: number };
    console.log(`one ${kind} unit alone in a fresh process (${JSON.stringify(message)}): ${unit.seconds.toFixed(1)} s (${unit.cpuSeconds.toFixed(1)} s CPU), peak RSS ${unit.peakRssMb} MB (target < 1024)`);
  }
  await ctx.close();
} finally {
  await azurite.stop();
  rmSync(work, { recursive: true, force: true });
}
