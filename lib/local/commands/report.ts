import path from 'node:path';
import type { AppContext } from '../../app/context.js';
import { deliverAlert, deliverDeps, dispatchAlert, dispatchDeps } from '../../alerts/dispatch.js';
import { evaluateAlerts, type EvaluationSummary } from '../../alerts/evaluate.js';
import { QUEUES } from '../../platform/resources.js';
import { drainQueue, openWorkQueue } from '../../queue/index.js';
import { defaultReportDate } from '../../reporting/data.js';
import { writeDailyReport, writeLocalCopy } from '../../reporting/daily.js';
import { backfillRiskHistory } from '../../reporting/riskHistory.js';
import { UsageError, dateOption } from '../args.js';
import type { Command } from '../command.js';
import { withPlatform } from '../session.js';

/** Local retries come back within seconds; Azure's host uses its own schedule. */
const LOCAL_BACKOFF = { initialSeconds: 1, maxSeconds: 4 };

export interface DeliveryCounts {
  readonly dispatched: number;
  readonly delivered: number;
  readonly parked: number;
}

/** Runs the dispatcher and the deliveries queue until both are empty (what the queue triggers do in Azure). */
export async function drainAlertQueues(ctx: AppContext): Promise<DeliveryCounts> {
  const options = { maxAttempts: ctx.config.QUEUE_MAX_ATTEMPTS, waitForRetriesWithinSeconds: 30, visibilityTimeoutSeconds: 120 };
  const dispatch = dispatchDeps(ctx);
  const dispatched = await drainQueue(openWorkQueue<unknown>(QUEUES.alertDispatch, ctx.config, ctx.storage, { backoff: LOCAL_BACKOFF }), async (body) => {
    await dispatchAlert(dispatch, body);
  }, options);
  const deliver = deliverDeps(ctx);
  const delivered = await drainQueue(openWorkQueue<unknown>(QUEUES.alertDeliveries, ctx.config, ctx.storage, { backoff: LOCAL_BACKOFF }), async (body) => {
    await deliverAlert(deliver, body);
  }, options);
  return { dispatched: dispatched.processed, delivered: delivered.processed, parked: dispatched.parked + delivered.parked };
}

export interface ReportOutcome {
  readonly date: string;
  readonly blob: string;
  readonly bytes: number;
  readonly localCopy: string;
  readonly servedAt: string;
  readonly dashboard: string;
  readonly email: string;
  readonly deliveries: DeliveryCounts;
}

const SERVE_URL = 'http://127.0.0.1:7071';

/** Writes the report, delivers its e-mail (and anything else queued), keeps a local copy. */
export async function reportAndDeliver(ctx: AppContext, options: { date?: string; email?: boolean } = {}): Promise<ReportOutcome> {
  const written = await writeDailyReport(ctx, options);
  const deliveries = await drainAlertQueues(ctx);
  const localCopy = await writeLocalCopy(ctx.localDataDir, written.date, written.html);
  const email = 'queued' in written.email ? `e-mailed through ${deliverDeps(ctx).email.description}` : written.email.skipped;
  return {
    date: written.date,
    blob: `${written.blob} (container reports)`,
    bytes: written.bytes,
    localCopy: path.relative(process.cwd(), localCopy) || localCopy,
    servedAt: `${SERVE_URL}/api/reports/${written.date}`,
    dashboard: `${SERVE_URL}/api/dashboard`,
    email,
    deliveries,
  };
}

export interface AlertsAndReport {
  readonly alerts: EvaluationSummary & { readonly deliveries: DeliveryCounts };
  readonly backfilled: { readonly days: number; readonly devices: number };
  readonly report: ReportOutcome;
}

/**
 * The end of `lims-mlops run`: evaluate the alert rules and deliver what fires, fill the risk
 * heatmap's 14 days (scoring the feature days not scored yet), then write the daily report.
 */
export async function alertAndReport(ctx: AppContext, scoredDay: string | null): Promise<AlertsAndReport> {
  const backfilled = scoredDay ? await backfillRiskHistory(ctx, scoredDay) : { days: 0, devices: 0 };
  const evaluation = await evaluateAlerts(ctx);
  // Dispatched before the report is written, so its open-alerts section includes them.
  const deliveries = await drainAlertQueues(ctx);
  const report = await reportAndDeliver(ctx);
  return { alerts: { ...evaluation, deliveries }, backfilled, report };
}

export function printReportOutcome(outcome: ReportOutcome, out: (line: string) => void = console.log): void {
  out(`Daily report ${outcome.date} (${(outcome.bytes / 1024).toFixed(0)} KB, one self-contained HTML file)`);
  out(`  open the local copy:  ${outcome.localCopy}`);
  out(`  served (lims-mlops serve): ${outcome.servedAt}  (latest: ${outcome.dashboard})`);
  out(`  stored: ${outcome.blob}; ${outcome.email}`);
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'Write the daily executive report (HTML) for a date, e-mail it, keep a local copy',
  usage: `lims-mlops report [--date YYYY-MM-DD] [--no-email] [--json]

Writes the daily executive report (device risk heatmap, top at-risk devices, drift alerts,
outbreak signals, model performance, pipeline health) as one HTML file to
reports/daily/<date>.html, e-mails it (the local outbox on the embedded default), copies it to
<LOCAL_DATA_DIR>/reports/<date>.html and prints where to open it. A rerun replaces the report.
  --date D      report date (default: today by the pipeline clock, the simulated clock for the
                simulator); the report covers the data through the day before
  --no-email    do not e-mail it
  --json        print the outcome as JSON`,
  options: { date: { type: 'string' }, 'no-email': { type: 'boolean' }, json: { type: 'boolean' } },
  prepare(values, _positionals, config) {
    const date = dateOption('report', 'date', values.date as string | undefined)?.toISOString().slice(0, 10);
    if (date && date > '2999-12-31') throw new UsageError('report: --date is too far in the future');
    return async () => {
      const outcome = await withPlatform(config, { out: console.log, err: console.error }, ({ ctx }) =>
        reportAndDeliver(ctx, { date: date ?? defaultReportDate(ctx), email: values['no-email'] !== true }),
      );
      if (values.json) console.log(JSON.stringify(outcome, null, 2));
      else printReportOutcome(outcome);
      return 0;
    };
  },
};
