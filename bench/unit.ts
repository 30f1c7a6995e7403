/**
 * One unit of work in a fresh process, as a Functions instance handling one message, so its
 * peak RSS is the unit's own (plus Node's baseline). Spawned by bench/pipeline.ts after the run.
 * A silver unit runs against a scratch copy of its bronze files and the devices snapshot, so it
 * really standardizes, checks and writes its rows (in the real lake it would find them there).
 * Usage: node dist/bench/unit.js <work dir> <silver|gold-day|gold-features> <message JSON>
 * with AZURE_STORAGE_CONNECTION_STRING set; prints {"kind", "seconds", "cpuSeconds", "peakRssMb"}
 * (CPU seconds are what other processes on the machine cannot inflate).
 */
import { createAppContext } from '../lib/app/context.js';
import { parseBronzeCommit, parseDayWork, parseFeatureWork } from '../lib/app/messages.js';
import { goldDeps, silverDeps } from '../lib/app/stages.js';
import { Lake, tablePath, partitionPath } from '../lib/lake/lake.js';
import { bronzeTable } from '../lib/pipeline/bronze.js';
import { goldFeatures, goldForDay } from '../lib/pipeline/gold.js';
import { silverForBronzeUnit } from '../lib/pipeline/silver.js';
import { SILVER_TABLES, SNAPSHOT } from '../lib/pipeline/silverTables.js';
import { readBlob } from '../lib/platform/blobs.js';
import { storageFromConnectionString } from '../lib/platform/storage.js';
import { benchConfig, peakRssMb } from './figures.js';

const [work, kind, message] = process.argv.slice(2) as [string, string, string];
const storage = storageFromConnectionString(process.env.AZURE_STORAGE_CONNECTION_STRING ?? '');
const ctx = createAppContext(benchConfig(work), storage, work);

/** Copies every blob under `prefixes` (data files and manifests) from the lake to `scratch`. */
async function copyPrefixes(scratch: Lake, prefixes: readonly string[]): Promise<void> {
  for (const prefix of prefixes) {
    for await (const blob of ctx.lake.container.listBlobsFlat({ prefix })) {
      const bytes = await readBlob(ctx.lake.container.getBlobClient(blob.name));
      await scratch.container.getBlockBlobClient(blob.name).uploadData(bytes);
    }
  }
}

interface PreparedUnit {
  run(): Promise<unknown>;
  cleanup(): Promise<void>;
}

async function silverUnit(): Promise<PreparedUnit> {
  const commit = parseBronzeCommit(JSON.parse(message));
  const scratch = new Lake(storage.container(`unit-${Date.now().toString(36)}`));
  await scratch.container.create();
  await copyPrefixes(scratch, [
    `${tablePath(bronzeTable(commit.table))}/${partitionPath(commit.partition)}/`,
    `${tablePath(SILVER_TABLES.devices)}/${partitionPath(SNAPSHOT)}/`,
  ]);
  return {
    run: () => silverForBronzeUnit({ ...silverDeps(ctx), lake: scratch, onSilverChanged: async () => {} }, commit),
    cleanup: async () => void (await scratch.container.delete()),
  };
}

async function prepare(): Promise<PreparedUnit> {
  const none = async () => {};
  switch (kind) {
    case 'silver':
      return silverUnit();
    case 'gold-day':
      return { run: () => goldForDay({ ...goldDeps(ctx), enqueueFeatures: none }, parseDayWork(JSON.parse(message))), cleanup: none };
    case 'gold-features':
      return { run: () => goldFeatures(goldDeps(ctx), parseFeatureWork(JSON.parse(message))), cleanup: none };
    default:
      throw new Error(`Unknown unit kind ${kind}: use silver, gold-day or gold-features`);
  }
}

const unit = await prepare();
const started = performance.now();
const cpuBefore = process.cpuUsage();
await unit.run();
const cpu = process.cpuUsage(cpuBefore);
const seconds = (performance.now() - started) / 1000;
await unit.cleanup();
console.log(JSON.stringify({ kind, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: peakRssMb() }));
await ctx.close();
