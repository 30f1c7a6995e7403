import { odata } from '@azure/data-tables';
import type { AppContext } from '../app/context.js';
import { DEVICE_RISK, parseTopFactors } from '../scoring/batch.js';
import { failedUnits, freshness, pipelineClock, runsSince } from './health.js';
import { alertSink, publishPending, reconcileAlerts, type AlertSink, type Reconciled } from './record.js';
import { highRiskAlerts, pipelineAlerts, type HighRiskObservation } from './rules.js';

/**
 * The evaluateAlerts timer: applies the rules whose observations live in storage (high-risk
 * devices that batch scoring recorded, failed stages in the run ledger, data freshness),
 * publishes what fires, resolves what no longer does, and re-publishes events whose
 * publication did not complete. Monitoring raises its own kinds with recordAlertEvent.
 */
export interface EvaluationSummary {
  readonly clock: string;
  readonly clockKind: 'wall' | 'simulated';
  readonly scoreDay: string | null;
  readonly highRisk: Reconciled;
  readonly pipeline: Reconciled;
  readonly republished: number;
}

/** How far back the ledger is read for failed units. */
const FAILURE_LOOKBACK_MS = 24 * 3_600_000;

export async function latestScoreDay(ctx: Pick<AppContext, 'lake'>): Promise<string | null> {
  const days = (await ctx.lake.listPartitions(DEVICE_RISK)).map((p) => p.score_date).filter((d): d is string => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d));
  return days.sort().pop() ?? null;
}


/** The HIGH-risk devices batch scoring recorded for `day` (PK high_risk_device, RK `${day}_${device}`). */
async function highRiskOf(sink: AlertSink, day: string): Promise<{ observations: HighRiskObservation[]; published: Set<string> }> {
  const observations: HighRiskObservation[] = [];
  const published = new Set<string>();
  const filter = odata`PartitionKey eq 'high_risk_device' and RowKey ge ${`${day}_`} and RowKey lt ${`${day}_\uffff`}`;
  for await (const e of sink.events.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
    if (e.status === 'resolved') continue;
    const device = String(e.subject ?? String(e.rowKey ?? '').slice(day.length + 1));
    observations.push({
      device,
      day,
      riskScore: Number(e.riskScore),
      ...(typeof e.probability === 'number' ? { probability: e.probability } : {}),
      ...(typeof e.modelVersion === 'string' ? { modelVersion: e.modelVersion } : {}),
      factors: parseTopFactors(e.factors),
    });
    if (typeof e.publishedAt === 'string' && e.publishedAt !== '') published.add(device);
  }
  return { observations, published };
}

export async function evaluateAlerts(ctx: AppContext, sink: AlertSink = alertSink(ctx)): Promise<EvaluationSummary> {
  const clock = pipelineClock(ctx);
  const day = clock.now.toISOString().slice(0, 10);

  const scoreDay = await latestScoreDay(ctx);
  let highRisk: Reconciled = { firing: 0, published: 0, resolved: 0 };
  if (scoreDay) {
    const { observations, published } = await highRiskOf(sink, scoreDay);
    const firing = highRiskAlerts(observations, ctx.config);
    highRisk = await reconcileAlerts(sink, 'high_risk_device', firing, { day: scoreDay, source: 'alerts/evaluate', needsPublishing: (e) => !published.has(e.subject) });
  }

  const runs = await runsSince(ctx, new Date(Date.now() - FAILURE_LOOKBACK_MS));
  const fresh = await freshness(ctx, clock);
  const firing = pipelineAlerts(failedUnits(runs), fresh.overall, day, ctx.config);
  const pipeline = await reconcileAlerts(sink, 'pipeline_failure', firing, { day, source: 'alerts/evaluate' });

  const republished = await publishPending(sink);
  return { clock: clock.now.toISOString(), clockKind: clock.kind, scoreDay, highRisk, pipeline, republished };
}
