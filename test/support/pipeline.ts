import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAppContext, type AppContext } from '../../lib/app/context.js';
import { loadConfig } from '../../lib/config/config.js';
import type { LakeTable, PartitionValues } from '../../lib/lake/lake.js';
import { parquetToRows } from '../../lib/lake/parquet.js';
import { runPipeline, type PipelineCounts } from '../../lib/local/pipelineRun.js';
import type { EmbeddedAzurite } from '../../lib/platform/azurite.js';
import { DEFAULT_SIMULATION, readGroundTruth, writeSimulatedLims, type GroundTruth, type SimulationOptions } from '../../lib/simulate/index.js';
import type { Row } from '../../lib/sources/schema.js';
import { startTestStorage } from './storage.js';

/** A simulated lab taken bronze -> silver -> gold by runPipeline, over a fresh in-memory Azurite. */
export interface PipelineFixture {
  readonly azurite: EmbeddedAzurite;
  readonly ctx: AppContext;
  readonly work: string;
  readonly limsDir: string;
  readonly options: SimulationOptions;
  readonly counts: PipelineCounts;
  readonly truth: GroundTruth;
  close(): Promise<void>;
}

/**
 * 12 devices x 40 days: most feature days have their whole 14-day window, and with this seed
 * three devices fail (ground truth), so labels are not all zero.
 */
export const SMALL_LAB: SimulationOptions = { ...DEFAULT_SIMULATION, devices: 12, days: 40, seed: 8 };

/**
 * Simulates `options` into a temp folder and runs the whole pipeline over it. `settings` are
 * app settings (environment-variable form), e.g. { GOLD_SHARDS: '2' }.
 */
export async function runSimulatedPipeline(options: SimulationOptions = SMALL_LAB, settings: Record<string, string> = {}): Promise<PipelineFixture> {
  const work = mkdtempSync(path.join(tmpdir(), 'lims-pipeline-'));
  const limsDir = path.join(work, 'lims');
  const { azurite, storage } = await startTestStorage();
  const ctx = createAppContext(loadConfig(settings), storage, work);
  const close = async (): Promise<void> => {
    await ctx.close();
    await azurite.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await writeSimulatedLims(options, limsDir);
    const counts = await runPipeline(ctx);
    return { azurite, ctx, work, limsDir, options, counts, truth: readGroundTruth(limsDir), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Every committed row of a lake table (all partitions, manifests only), with its partition values. */
export async function readTable(ctx: AppContext, table: Pick<LakeTable, 'zone' | 'name'>): Promise<{ partition: PartitionValues; row: Row }[]> {
  const out: { partition: PartitionValues; row: Row }[] = [];
  for (const partition of await ctx.lake.listPartitions(table)) {
    for await (const batch of ctx.lake.readPartition(table, partition)) for (const row of batch) out.push({ partition, row });
  }
  return out;
}

/** Rows of a table, without their partitions. */
export async function readRows(ctx: AppContext, table: Pick<LakeTable, 'zone' | 'name'>): Promise<Row[]> {
  return (await readTable(ctx, table)).map((r) => r.row);
}

/** Every Parquet blob under a prefix of the lake container (committed or not: whatever a reader could find). */
export async function parquetBlobs(ctx: AppContext, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of ctx.lake.container.listBlobsFlat({ prefix })) if (blob.name.endsWith('.parquet')) names.push(blob.name);
  return names;
}

export async function downloadBlob(ctx: AppContext, name: string): Promise<Buffer> {
  return ctx.lake.container.getBlobClient(name).downloadToBuffer();
}

export function decodeParquet(bytes: Uint8Array): Row[] {
  return parquetToRows(bytes);
}
