import type { AppContext } from '../app/context.js';
import { parseBronzeCommit, parseDayWork, parseFeatureWork, parseScoreWork } from '../app/messages.js';
import { bronzeDeps, enqueueScoring, goldDeps, scoringDeps, silverDeps } from '../app/stages.js';
import type { ModelCard } from '../registry/card.js';
import { scoreShard } from '../scoring/batch.js';
import { NotEnoughData } from '../training/fit.js';
import { trainAndRegister } from '../training/job.js';
import { EVENT_TABLES, REFERENCE_TABLES, bronzeUnits, ingestAll, type BronzeCommit, type TableIngestResult } from '../pipeline/bronze.js';
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

/** Silver and gold drains, adding up their counts: shared by `run` and `silver`. */
class StageDrains {
  private readonly silver: Partial<Record<LimsTableName, { rowsIn: number; rowsOut: number; quarantined: number }>> = {};
  private readonly reports: DqReport[] = [];
  private readonly gold = { days: 0, deviceDays: 0, qcGroups: 0, seriesRows: 0, featureUnits: 0, featureRows: 0 };
  private parked = 0;
  private readonly seconds = { bronze: 0, silver: 0, gold: 0 };

  constructor(private readonly ctx: AppContext) {}

  async timed<T>(stage: keyof PipelineCounts['seconds'], work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.seconds[stage] += (performance.now() - started) / 1000;
    }
  }

  /** Standardizes the queued bronze units. */
  async drainSilver(label: string): Promise<void> {
    const parked = await this.timed('silver', () =>
      drainOnce(this.ctx, QUEUES.bronzeCommitted, label, parseBronzeCommit, async (body) => {
        const result: SilverResult = await silverForBronzeUnit(silverDeps(this.ctx), body);
        const counts = (this.silver[result.table] ??= { rowsIn: 0, rowsOut: 0, quarantined: 0 });
        counts.rowsIn += result.rowsIn;
        counts.rowsOut += result.rowsOut;
        counts.quarantined += result.quarantined;
        this.reports.push(result.report);
      }),
    );
    this.parked += parked;
  }

  /** The queued gold days, then the feature days they fan out to. */
  async drainGold(): Promise<void> {
    const { ctx, gold } = this;
    await this.timed('gold', async () => {
      // In a bulk run every day fans out to the same feature days: collect them and send each once.
      const featureDays = new FeatureDays();
      const collectFeatures = async (work: readonly FeatureWork[]): Promise<void> => {
        for (const item of work) featureDays.add(item);
      };
      const dayParked = await drainOnce(ctx, QUEUES.goldDay, 'gold daily aggregates', parseDayWork, async (work) => {
        const result = await goldForDay({ ...goldDeps(ctx), enqueueFeatures: collectFeatures }, work);
        gold.days++;
        gold.deviceDays += result.deviceDays;
        gold.qcGroups += result.qcGroups;
        gold.seriesRows += result.series;
      });
      await openWorkQueue<FeatureWork>(QUEUES.goldFeatures, ctx.config, ctx.storage).sendMany(featureDays.work());
      const featureParked = await drainOnce(ctx, QUEUES.goldFeatures, 'gold device features', parseFeatureWork, async (work) => {
        // Not `+= await`: that would read the total before the await, and units run concurrently.
        const rows = await goldFeatures(goldDeps(ctx), work);
        gold.featureRows += rows;
        gold.featureUnits++;
      });
      this.parked += dayParked + featureParked;
    });
  }

  counts(bronze: readonly TableIngestResult[]): PipelineCounts {
    return { bronze, silver: this.silver, dataQuality: mergeDqReports(...this.reports), gold: this.gold, parked: this.parked, seconds: this.seconds };
  }
}

export async function runPipeline(ctx: AppContext): Promise<PipelineCounts> {
  const drains = new StageDrains(ctx);
  const bronze = await drains.timed('bronze', () => ingestWithProgress(ctx, REFERENCE_TABLES));
  await drains.drainSilver('silver (reference tables)');
  bronze.push(...(await drains.timed('bronze', () => ingestWithProgress(ctx, EVENT_TABLES))));
  await drains.drainSilver('silver');
  await drains.drainGold();
  return drains.counts(bronze);
}

export interface SilverRerun {
  /** Bronze partitions with ingest dates in [from, to). */
  readonly from: string;
  readonly to: string;
  readonly tables: readonly LimsTableName[];
  /** Rewrite rows whose version silver already holds (after the standards changed). */
  readonly rebuild: boolean;
}

/**
 * Silver again for the bronze units already committed in a date range, through the same queue
 * and handler as a fresh commit, then gold for the days it touched. Without `rebuild` a unit
 * whose rows silver holds at the same versions writes nothing (a rerun gives the same silver).
 */
export async function rerunSilver(ctx: AppContext, rerun: SilverRerun): Promise<PipelineCounts & { units: number }> {
  const drains = new StageDrains(ctx);
  const queue = openWorkQueue<BronzeCommit>(QUEUES.bronzeCommitted, ctx.config, ctx.storage);
  let units = 0;
  for (const [tables, label] of [[REFERENCE_TABLES, 'silver (reference tables)'], [EVENT_TABLES, 'silver']] as const) {
    const wanted = tables.filter((t) => rerun.tables.includes(t));
    const commits = (await Promise.all(wanted.map((t) => bronzeUnits(ctx.lake, t, rerun.from, rerun.to)))).flat();
    if (commits.length === 0) continue;
    units += commits.length;
    await queue.sendMany(rerun.rebuild ? commits.map((c) => ({ ...c, rebuild: true })) : commits);
    await drains.drainSilver(label);
  }
  await drains.drainGold();
  return { ...drains.counts([]), units };
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
