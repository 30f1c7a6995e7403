import type { BronzeCommit, BronzeDeps } from '../pipeline/bronze.js';
import { dayMs, featureWorkForEvents, type DayWork, type FeatureWork, type GoldDeps } from '../pipeline/gold.js';
import type { SilverChange, SilverDeps } from '../pipeline/silver.js';
import { QUEUES, TABLES } from '../platform/resources.js';
import { scoreWorkFor, type ScoreWork, type ScoringDeps } from '../scoring/batch.js';
import { openWorkQueue } from '../queue/index.js';
import type { AppContext } from './context.js';

/**
 * How the stages hand work on: bronze commits go to `bronze-committed` (silver), changed
 * silver days to `gold-day`, and feature days per device shard to `gold-features`.
 */
export function bronzeDeps(ctx: AppContext): BronzeDeps {
  const silverQueue = openWorkQueue<BronzeCommit>(QUEUES.bronzeCommitted, ctx.config, ctx.storage);
  return { source: ctx.source(), lake: ctx.lake, watermarks: ctx.watermarks, ledger: ctx.ledger, onCommit: (commit) => silverQueue.send(commit) };
}

export function silverDeps(ctx: AppContext): SilverDeps {
  const dayQueue = openWorkQueue<DayWork>(QUEUES.goldDay, ctx.config, ctx.storage);
  const featureQueue = openWorkQueue<FeatureWork>(QUEUES.goldFeatures, ctx.config, ctx.storage);
  return {
    lake: ctx.lake,
    ledger: ctx.ledger,
    dqReports: ctx.dqReports,
    prepare: (input) => ctx.compute().silver(input),
    horizon: ctx.horizon,
    onSilverChanged: async (change: SilverChange) => {
      await dayQueue.sendMany(change.dates.map((date) => ({ date })));
      if (change.eventDates.length > 0) {
        const latest = await ctx.horizon.latestDay();
        if (latest !== undefined) await featureQueue.sendMany(featureWorkForEvents(change.eventDates, dayMs(latest), ctx.config.GOLD_SHARDS));
      }
    },
  };
}

export function goldDeps(ctx: AppContext): GoldDeps {
  const featureQueue = openWorkQueue<FeatureWork>(QUEUES.goldFeatures, ctx.config, ctx.storage);
  return {
    lake: ctx.lake,
    ledger: ctx.ledger,
    horizon: ctx.horizon,
    shards: ctx.config.GOLD_SHARDS,
    prepareDay: (input) => ctx.compute().goldDay(input),
    prepareFeatures: (input) => ctx.compute().goldFeatures(input),
    enqueueFeatures: (work) => featureQueue.sendMany(work),
  };
}

export function scoringDeps(ctx: AppContext): ScoringDeps {
  return { lake: ctx.lake, ledger: ctx.ledger, alerts: ctx.storage.table(TABLES.alerts), withProductionModel: (work) => ctx.models().use(work) };
}

/** The daily scoring timer: one message per device shard for the latest day with data. */
export async function enqueueScoring(ctx: AppContext): Promise<ScoreWork[]> {
  const latest = await ctx.horizon.latestDay();
  if (!latest) return [];
  const work = scoreWorkFor(latest, ctx.config.GOLD_SHARDS);
  await openWorkQueue<ScoreWork>(QUEUES.scoreDevices, ctx.config, ctx.storage).sendMany(work);
  return work;
}
