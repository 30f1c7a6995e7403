import type { AppContext } from '../app/context.js';
import { scoringDeps } from '../app/stages.js';
import { DEVICE_FEATURES } from '../pipeline/goldTables.js';
import { DEVICE_RISK, scoreShard } from '../scoring/batch.js';
import { RISK_DAYS } from './data.js';
import { addDays } from '../calendar/days.js';

/**
 * The report's risk heatmap covers 14 score days; a fresh installation has scored one. This
 * scores, with the production model, the feature days of the window that have gold features
 * but no predictions yet (what the daily scoring timer would have written on those days).
 * Partitions already scored are left alone; rerunning is a no-op.
 */
export async function backfillRiskHistory(ctx: AppContext, endDay: string, days = RISK_DAYS): Promise<{ days: number; devices: number }> {
  const from = addDays(endDay, -(days - 1));
  const scored = new Set((await ctx.lake.listPartitions(DEVICE_RISK)).map((p) => `${p.score_date}/${p.shard}`));
  const work = (await ctx.lake.listPartitions(DEVICE_FEATURES))
    .filter((p) => p.feature_date! >= from && p.feature_date! <= endDay && !scored.has(`${p.feature_date}/${p.shard}`))
    .map((p) => ({ scoreDate: p.feature_date!, shard: Number(p.shard) }));
  if (work.length === 0) return { days: 0, devices: 0 };
  const deps = scoringDeps(ctx);
  let devices = 0;
  for (const item of work) devices += (await scoreShard(deps, item)).devices;
  return { days: new Set(work.map((w) => w.scoreDate)).size, devices };
}
