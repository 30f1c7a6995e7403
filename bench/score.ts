/**
 * Daily batch scoring at the seed's scale (target for this 2-core machine: 10K devices from gold
 * to committed predictions partitions in under 2 s; the seed's figure: 3 min).
 *
 * Setup (not timed): an embedded in-memory Azurite; gold device_features of one feature day for
 * 10K devices (synthetic device-days, lib/ml/synthetic.ts), written per device shard as gold
 * writes them; the horizon at that day; a synthetic model registered and promoted (the serving
 * benchmark's model, lib/serving/syntheticModel.ts).
 *
 * Timed: what the daily timer and the queue handlers do (lib/app/stages.ts): `enqueueScoring`
 * sends one message per shard, and the `score-devices` handlers (`scoreShard`) run the shards
 * in parallel, each reading its gold partition, scoring it (one ONNX run, TreeSHAP for the
 * devices above LOW), committing its predictions partition and recording HIGH alert events.
 * The first run includes loading the model from Blob (a cold instance); the next runs replace
 * the partitions with a warm model (a live instance). Prints figures and peak RSS; asserts nothing.
 * Usage: node dist/bench/score.js [--devices 10000] [--runs 3]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { parseScoreWork } from '../lib/app/messages.js';
import { enqueueScoring, scoringDeps } from '../lib/app/stages.js';
import { loadConfig } from '../lib/config/config.js';
import { FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { syntheticDeviceDays } from '../lib/ml/synthetic.js';
import { DEVICE_FEATURES, shardLabel, shardOf } from '../lib/pipeline/goldTables.js';
import { startAzurite } from '../lib/platform/azurite.js';
import { QUEUES } from '../lib/platform/resources.js';
import { ensureStorageResources, storageFromConnectionString } from '../lib/platform/storage.js';
import { drainQueue, openWorkQueue } from '../lib/queue/index.js';
import { promoteVersion } from '../lib/registry/promotion.js';
import { DEVICE_RISK, scoreShard, type ScoreResult, type ScoreWork } from '../lib/scoring/batch.js';
import { registerSyntheticModel } from '../lib/serving/syntheticModel.js';
import type { Row } from '../lib/sources/schema.js';
import { peakRssMb } from './figures.js';
import { isoDay } from '../lib/calendar/days.js';

const { values } = parseArgs({ options: { devices: { type: 'string' }, runs: { type: 'string' } }, strict: false });
const devices = Number(values.devices ?? 10_000);
const runs = Number(values.runs ?? 3);
const FEATURE_DAY = Date.UTC(2026, 2, 1);

/** One feature day of gold device_features for `devices` devices, grouped by device shard. */
function goldRowsByShard(shards: number): Map<number, Row[]> {
  const data = syntheticDeviceDays({ devices, days: 1, seed: 21, startDay: FEATURE_DAY }).dataset;
  const width = FEATURE_NAMES.length;
  const byShard = new Map<number, Row[]>();
  for (let r = 0; r < data.nRows; r++) {
    const row: Row = { device_id: `DEV-${String(r).padStart(5, '0')}` };
    FEATURE_NAMES.forEach((name, f) => (row[name] = data.x[r * width + f] as number));
    row.failure_within_7d = data.y[r] as number;
    row.label_observed = 0;
    const shard = shardOf(String(row.device_id), shards);
    if (!byShard.has(shard)) byShard.set(shard, []);
    byShard.get(shard)!.push(row);
  }
  return byShard;
}

/** The daily timer, then the queue handlers until the queue is empty (all shards at once). */
async function scoreDay(ctx: AppContext): Promise<{ work: ScoreWork[]; results: ScoreResult[] }> {
  const work = await enqueueScoring(ctx);
  const results: ScoreResult[] = [];
  await drainQueue(
    openWorkQueue<ScoreWork>(QUEUES.scoreDevices, ctx.config, ctx.storage),
    async (body) => void results.push(await scoreShard(scoringDeps(ctx), parseScoreWork(body))),
    { maxAttempts: 1, concurrency: work.length, max: work.length },
  );
  return { work, results };
}

const load = (): string => `load average ${loadavg()[0]!.toFixed(1)} on 2 cores`;
console.log(`machine: ${load()} at start (figures are inflated while other work shares the CPUs)`);
const azurite = await startAzurite();
try {
  const storage = storageFromConnectionString(azurite.connectionString);
  await ensureStorageResources(storage);
  const config = loadConfig({});
  const setup = createAppContext(config, storage);
  const day = isoDay(FEATURE_DAY);
  const byShard = goldRowsByShard(config.GOLD_SHARDS);
  for (const [shard, rows] of byShard) await setup.lake.writePartition(DEVICE_FEATURES, { feature_date: day, shard: shardLabel(shard) }, 'bench', rows);
  await setup.horizon.advanceTo(day);
  const trained = await registerSyntheticModel(setup.registry(), { devices: 2000, days: 70, seed: 7 });
  await promoteVersion(setup.registry(), trained.card.version, 'bench', 'benchmark model');
  await setup.close();
  console.log(
    `gold: ${devices.toLocaleString('en-US')} devices of ${day} in ${byShard.size} shards (GOLD_SHARDS); model ${trained.model.trees.length} trees, ` +
      `thresholds MEDIUM p > ${trained.card.thresholds.medium.toFixed(4)}, HIGH p > ${trained.card.thresholds.high.toFixed(4)}`,
  );

  // One context for all runs, as one Functions instance: the first run loads the model.
  const ctx = createAppContext(config, storage);
  for (let run = 1; run <= runs; run++) {
    const started = performance.now();
    const { work, results } = await scoreDay(ctx);
    const ms = performance.now() - started;
    const scored = results.reduce((sum, r) => sum + r.devices, 0);
    const high = results.reduce((sum, r) => sum + r.high, 0);
    const committed = (await ctx.lake.listPartitions(DEVICE_RISK)).filter((p) => p.score_date === day).length;
    console.log(
      `batch scoring run ${run} (${run === 1 ? 'cold: model loaded from Blob' : 'warm model'}): ${scored.toLocaleString('en-US')} devices in ${(ms / 1000).toFixed(2)} s ` +
        `(timer + ${work.length} queue handlers in parallel, ${committed} predictions partitions committed, ${high} HIGH alert events) [target < 2 s; seed 3 min]`,
    );
    if (run === 1) console.log(`  of which the model load (alias, 3 blob downloads, ONNX session, TreeSHAP tables, warm-up): ${Math.round(ctx.models().status()?.loadMs ?? Number.NaN)} ms`);
  }
  await ctx.close();
  console.log(`peak RSS ${peakRssMb()} MB (this process; Azurite runs in its own); machine: ${load()} at the end`);
} finally {
  await azurite.stop();
}
