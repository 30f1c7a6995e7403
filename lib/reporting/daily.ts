import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../app/context.js';
import { DeliveryLog } from '../alerts/deliveries.js';
import { reportRecipients, type DeliveryMessage } from '../alerts/dispatch.js';
import { readBlobText } from '../platform/blobs.js';
import { CONTAINERS, QUEUES, TABLES } from '../platform/resources.js';
import { openWorkQueue } from '../queue/index.js';
import { collectReportData, defaultReportDate, type ReportData } from './data.js';
import { renderReportHtml } from './html.js';

/**
 * The daily executive report: gathered, rendered to one HTML file, stored as
 * `reports/daily/YYYY-MM-DD.html` (a rerun replaces it), and e-mailed as the HTML body through
 * the delivery queue (so a failing mail service is retried, then parked, like alerts).
 */
export const DAILY_PREFIX = 'daily/';

export function reportBlobName(date: string): string {
  return `${DAILY_PREFIX}${date}.html`;
}

export interface WrittenReport {
  readonly date: string;
  readonly blob: string;
  readonly bytes: number;
  /** The e-mail delivery queued (id), or why none was. */
  readonly email: { readonly queued: string } | { readonly skipped: string };
  readonly data: ReportData;
  readonly html: string;
}

export interface ReportOptions {
  readonly date?: string;
  /** Queue the e-mail (default true). */
  readonly email?: boolean;
}

export async function writeDailyReport(ctx: AppContext, options: ReportOptions = {}): Promise<WrittenReport> {
  const date = options.date ?? defaultReportDate(ctx);
  const run = await ctx.ledger.start('report', date);
  try {
    const data = await collectReportData(ctx, date);
    const html = renderReportHtml(data);
    const blob = reportBlobName(date);
    const bytes = Buffer.byteLength(html);
    await ctx.storage
      .container(CONTAINERS.reports)
      .getBlockBlobClient(blob)
      .upload(html, bytes, { blobHTTPHeaders: { blobContentType: 'text/html; charset=utf-8', blobCacheControl: 'no-cache' } });
    const email = options.email === false ? { skipped: 'e-mail not requested' } : await queueReportEmail(ctx, date, blob);
    await run.succeed({ rowsIn: data.risk.devicesScored, rowsOut: 1 });
    return { date, blob, bytes, email, data, html };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

async function queueReportEmail(ctx: AppContext, date: string, blob: string): Promise<WrittenReport['email']> {
  const to = reportRecipients(ctx.config);
  if (to.length === 0 && ctx.config.EMAIL_ACS_ENDPOINT !== '') return { skipped: 'no recipients (REPORT_EMAIL_TO, ALERT_EMAIL_LAB_MANAGERS)' };
  // One delivery per report date: a rerun of the same day does not mail it twice.
  const message: DeliveryMessage = { id: `report/${date}#email`, channel: 'email', report: { date, blob, subject: `LIMS daily report ${date}` }, to };
  const log = new DeliveryLog(ctx.storage.table(TABLES.alertDeliveries));
  const known = await log.get(message.id);
  if (known?.status === 'sent') return { skipped: `already e-mailed (${message.id})` };
  await log.queued([{ id: message.id, channel: 'email', what: 'report', about: date, severity: null, action: null, recipients: to.length }]);
  await openWorkQueue<DeliveryMessage>(QUEUES.alertDeliveries, ctx.config, ctx.storage).send(message);
  return { queued: message.id };
}

/** The latest stored report's date, or undefined when none is stored yet. */
export async function latestReportDate(ctx: Pick<AppContext, 'storage'>): Promise<string | undefined> {
  let latest: string | undefined;
  for await (const blob of ctx.storage.container(CONTAINERS.reports).listBlobsFlat({ prefix: DAILY_PREFIX })) {
    const date = /^daily\/(\d{4}-\d{2}-\d{2})\.html$/.exec(blob.name)?.[1];
    if (date && (!latest || date > latest)) latest = date;
  }
  return latest;
}

export async function readReport(ctx: Pick<AppContext, 'storage'>, date: string): Promise<string | undefined> {
  try {
    return await readBlobText(ctx.storage.container(CONTAINERS.reports).getBlobClient(reportBlobName(date)));
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** A copy a person can open from disk: `<LOCAL_DATA_DIR>/reports/YYYY-MM-DD.html`. */
export async function writeLocalCopy(localDataDir: string, date: string, html: string): Promise<string> {
  const dir = path.resolve(localDataDir, 'reports');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${date}.html`);
  await writeFile(`${file}.tmp`, html);
  await rename(`${file}.tmp`, file);
  return file;
}
