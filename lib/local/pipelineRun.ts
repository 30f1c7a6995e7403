import type { AppContext } from '../app/context.js';
import { parseBronzeCommit, parseDayWork, parseFeatureWork, parseScoreWork } from '../app/messages.js';
import { bronzeDeps, enqueueScoring, goldDeps, scoringDeps, silverDeps } from '../app/stages.js';
import type { ModelCard } from '../registry/card.js';
import { scoreShard } from '../scoring/batch.js';
import { NotEnoughData } from '../training/fit.js';
import { trainAndRegister } from '../training/job.js';
import { ingestAll, type TableIngestResult } from '../pipeline/bronze.js';
import { FeatureDays, goldFeatures, goldForDay, type FeatureWork } from '../pipeline/gold.js';
import { silverForBronzeUnit, type SilverResult } from '../pipeline/silver.js';
import { QUEUES } from '../platform/resources.js';
import { mergeDqReports, type DqReport } from '../quality/report.js';
import { drainQueue, openWorkQueue } from '../queue/index.js';
import type { LimsTableName } from '../sources/schema.js';
import { progress } from './progress.js';

/**
 * The pipeline end to end on one machine, through the same queues and handlers as Azure:
 * bronze (reference tables first), then each queue drained in turn. Identical messages within
 * a drain are handled once: every producer of the stage has finished before its drain starts.
 */
export interface PipelineCounts {
  readonly bronze: readonly TableIngestResult[];
  readonly silver: Partial<Record<LimsTableName, { rowsIn: number; rowsOut: number; quarantined: number }>>;
  readonly dataQuality: DqReport;
  readonly gold: { days: number; deviceDays: number; qcGroups: number; seriesRows: number; featureUnits: number; featureRows: number };
  readonly parked: number;
  /** Wall-clock seconds per stage. */
  readonly seconds: { bronze: number; silver: number; gold: number };
}

/** Local retries come back within seconds; Azure's host uses its own schedule. */
const LOCAL_BACKOFF = { initialSeconds: 1, maxSeconds: 4 };

async function drainOnce<T>(ctx: AppContext, queueName: string, label: string, parse: (body: unknown) => T, handle: (work: T) => Promise<void>): Promise<number> {
  const queue = openWorkQueue<unknown>(queueName, ctx.config, ctx.storage, { backoff: LOCAL_BACKOFF });
  const seen = new Set<string>();
  const bar = progress(label, undefined);
  let handled = 0;
  const result = await drainQueue(
    queue,
    async (body) => {
      // Claimed before handling, so a duplicate in the same batch is not run concurrently.
      const key = JSON.stringify(body);
      if (seen.has(key)) return;
      seen.add(key);
      try {
        await handle(parse(body));
      } catch (error) {
        seen.delete(key);
        throw error;
      }
      bar.update(++handled, 'units');
    },
    { maxAttempts: ctx.config.QUEUE_MAX_ATTEMPTS, waitForRetriesWithinSeconds: 30, visibilityTimeoutSeconds: 600 },
  );
  bar.finish(`${handled.toLocaleString('en-US')} units${result.parked ? `, ${result.parked} parked` : ''}`);
  return result.parked;
}

/** Incremental ingestion, table by table, with a progress line each; commits are queued for silver. */
export async function ingestWithProgress(ctx: AppContext, tables: readonly LimsTableName[]): Promise<TableIngestResult[]> {
  const results: TableIngestResult[] = [];
  for (const table of tables) {
    const bar = progress(`bronze ${table}`, undefined);
    const [result] = await ingestAll(bronzeDeps(ctx), {
      pageSize: ctx.config.INGEST_PAGE_SIZE,
      overlapMinutes: ctx.config.INGEST_OVERLAP_MINUTES,
      tables: [table],
      onProgress: (_t, rows) => bar.update(rows, 'rows'),
    });
    bar.finish(`${result!.rowsWritten.toLocaleString('en-US')} new rows`);
    results.push(result!);
  }
  return results;
}

export async function runPipeline(ctx: AppContext): Promise<PipelineCounts> {
  const silver: Partial<Record<LimsTableName, { rowsIn: number; rowsOut: number; quarantined: number }>> = {};
  const reports: DqReport[] = [];
  const gold = { days: 0, deviceDays: 0, qcGroups: 0, seriesRows: 0, featureUnits: 0, featureRows: 0 };
  let parked = 0;
  const standardize = async (body: ReturnType<typeof parseBronzeCommit>): Promise<void> => {
    const result: SilverResult = await silverForBronzeUnit(silverDeps(ctx), body);
    const counts = (silver[result.table] ??= { rowsIn: 0, rowsOut: 0, quarantined: 0 });
    counts.rowsIn += result.rowsIn;
    counts.rowsOut += result.rowsOut;
    counts.quarantined += result.quarantined;
    reports.push(result.report);
  };
  const seconds = { bronze: 0, silver: 0, gold: 0 };
  const timed = async <T>(stage: keyof typeof seconds, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      seconds[stage] += (performance.now() - started) / 1000;
    }
  };
  // Devices first: silver needs them to map the other tables' rows to sites.
  const bronze = await timed('bronze', () => ingestWithProgress(ctx, ['devices', 'maintenance_events']));
  parked += await timed('silver', () => drainOnce(ctx, QUEUES.bronzeCommitted, 'silver (reference tables)', parseBronzeCommit, standardize));
  bronze.push(...(await timed('bronze', () => ingestWithProgress(ctx, ['quality_control', 'device_logs', 'lab_results']))));
  parked += await timed('silver', () => drainOnce(ctx, QUEUES.bronzeCommitted, 'silver', parseBronzeCommit, standardize));
  const goldStarted = performance.now();
  // In a bulk run every day fans out to the same feature days: collect them and send each once.
  const featureDays = new FeatureDays();
  const collectFeatures = async (work: readonly FeatureWork[]): Promise<void> => {
    for (const item of work) featureDays.add(item);
  };
  parked += await drainOnce(ctx, QUEUES.goldDay, 'gold daily aggregates', parseDayWork, async (work) => {
    const result = await goldForDay({ ...goldDeps(ctx), enqueueFeatures: collectFeatures }, work);
    gold.days++;
    gold.deviceDays += result.deviceDays;
    gold.qcGroups += result.qcGroups;
    gold.seriesRows += result.series;
  });
  await openWorkQueue<FeatureWork>(QUEUES.goldFeatures, ctx.config, ctx.storage).sendMany(featureDays.work());
  parked += await drainOnce(ctx, QUEUES.goldFeatures, 'gold device features', parseFeatureWork, async (work) => {
    const rows = await goldFeatures(goldDeps(ctx), work);
    gold.featureRows += rows;
    gold.featureUnits++;
  });
  seconds.gold = (performance.now() - goldStarted) / 1000;
  return { bronze, silver, dataQuality: mergeDqReports(...reports), gold, parked, seconds };
}

export interface ModelCounts {
  /** Why no model was trained (too few labelled days), when none was. */
  readonly skipped?: string;
  readonly version: string;
  readonly metrics: ModelCard['metrics'];
  readonly promotion: string;
  readonly scored: { readonly day: string | null; readonly devices: number; readonly high: number };
  readonly seconds: number;
}

/** Trains and registers a model (promoted through the gate), then batch-scores the latest day. */
export async function trainAndScore(ctx: AppContext): Promise<ModelCounts> {
  const started = performance.now();
  let outcome;
  try {
    outcome = await trainAndRegister(ctx, (line) => console.error(line));
  } catch (error) {
    if (!(error instanceof NotEnoughData)) throw error;
    const none = { day: null, devices: 0, high: 0 };
    return { skipped: error.message, version: '-', metrics: {}, promotion: 'none', scored: none, seconds: (performance.now() - started) / 1000 };
  }
  const work = await enqueueScoring(ctx);
  const scored = { day: work[0]?.scoreDate ?? null, devices: 0, high: 0 };
  await drainOnce(ctx, QUEUES.scoreDevices, 'batch scoring', parseScoreWork, async (item) => {
    const result = await scoreShard(scoringDeps(ctx), item);
    scored.devices += result.devices;
    scored.high += result.high;
  });
  return { version: outcome.card.version, metrics: outcome.card.metrics, promotion: outcome.decision.reason, scored, seconds: (performance.now() - started) / 1000 };
}
