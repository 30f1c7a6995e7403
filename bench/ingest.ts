/**
 * Bronze ingestion throughput at the seed's monthly scale: simulate the lab to disk, then
 * ingest every table from the simulator store into the lake on a disk-backed Azurite.
 * Usage: node dist/bench/ingest.js [--devices 10000] [--days 30] [--results-per-device-day 33]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Lake } from '../lib/lake/lake.js';
import { ingestAll } from '../lib/pipeline/bronze.js';
import { startAzurite } from '../lib/platform/azurite.js';
import { CONTAINERS, TABLES } from '../lib/platform/resources.js';
import { ensureStorageResources, storageFromConnectionString } from '../lib/platform/storage.js';
import { DEFAULT_SIMULATION, SimulatorSource } from '../lib/simulate/index.js';
import { RunLedger } from '../lib/state/runs.js';
import { WatermarkStore } from '../lib/state/watermarks.js';
import { peakRssMb, rate } from './figures.js';

const { values } = parseArgs({ options: { devices: { type: 'string' }, days: { type: 'string' }, 'results-per-device-day': { type: 'string' }, 'page-size': { type: 'string' } } });
const options = {
  ...DEFAULT_SIMULATION,
  devices: Number(values.devices ?? 10_000),
  days: Number(values.days ?? 30),
  resultsPerDeviceDay: Number(values['results-per-device-day'] ?? 33),
};
const work = mkdtempSync(path.join(tmpdir(), 'lims-bench-'));
const azurite = await startAzurite({ location: path.join(work, 'azurite') });
try {
  // The simulated LIMS is written by another process, so this one's peak RSS is ingestion's alone.
  let started = performance.now();
  const cli = fileURLToPath(new URL('../lib/local/cli.js', import.meta.url));
  const args = ['simulate', '--json', '--out', path.join(work, 'lims'), '--devices', String(options.devices), '--days', String(options.days), '--results-per-device-day', String(options.resultsPerDeviceDay)];
  const child = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`simulate failed with exit code ${child.status}`);
  const simulatedRows = Object.values((JSON.parse(child.stdout) as { rows: Record<string, number> }).rows).reduce((a, b) => a + b, 0);
  console.log(`simulate to Parquet store (separate process): ${rate(simulatedRows, performance.now() - started)} (${options.devices} devices x ${options.days} days)`);

  const storage = storageFromConnectionString(azurite.connectionString);
  await ensureStorageResources(storage);
  const deps = {
    source: new SimulatorSource(path.join(work, 'lims')),
    lake: new Lake(storage.container(CONTAINERS.lake)),
    watermarks: new WatermarkStore(storage.table(TABLES.watermarks), storage.container(CONTAINERS.lake)),
    ledger: new RunLedger(storage.table(TABLES.runs)),
  };
  started = performance.now();
  const results = await ingestAll(deps, { pageSize: Number(values['page-size'] ?? 50_000), overlapMinutes: 10 });
  const ingested = results.reduce((sum, r) => sum + r.rowsWritten, 0);
  console.log(`bronze ingestion on Azurite: ${rate(ingested, performance.now() - started)}; ${results.map((r) => `${r.table} ${r.rowsWritten.toLocaleString('en-US')}`).join(', ')}`);
  if (ingested !== simulatedRows) console.log(`MISMATCH: simulated ${simulatedRows} rows, ingested ${ingested}`);
  console.log(`bronze ingestion peak RSS: ${peakRssMb()} MB (target < 1024)`);
} finally {
  await azurite.stop();
  rmSync(work, { recursive: true, force: true });
}
