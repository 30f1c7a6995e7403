import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { evaluateAlerts, latestScoreDay } from '../lib/alerts/evaluate.js';
import { recordAlertEvents } from '../lib/alerts/record.js';
import { calibrationDriftAlerts, dataDriftAlerts } from '../lib/alerts/rules.js';
import { loadConfig } from '../lib/config/config.js';
import { FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { drainAlertQueues } from '../lib/local/commands/report.js';
import { startLocalHost, type LocalHost } from '../lib/local/host.js';
import { runPipeline } from '../lib/local/pipelineRun.js';
import { syntheticDeviceDays } from '../lib/ml/synthetic.js';
import { bronzeTable } from '../lib/pipeline/bronze.js';
import { isoDay } from '../lib/pipeline/gold.js';
import { DEVICE_FEATURES } from '../lib/pipeline/goldTables.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { TABLES } from '../lib/platform/resources.js';
import { collectReportData, defaultReportDate } from '../lib/reporting/data.js';
import { writeDailyReport } from '../lib/reporting/daily.js';
import { backfillRiskHistory } from '../lib/reporting/riskHistory.js';
import { scoreShard } from '../lib/scoring/batch.js';
import { scoringDeps } from '../lib/app/stages.js';
import { DEFAULT_SIMULATION, writeSimulatedLims } from '../lib/simulate/index.js';
import type { Row } from '../lib/sources/schema.js';
import { trainAndRegister } from '../lib/training/job.js';
import { startTestStorage } from './support/storage.js';

/**
 * The daily report over a real pipeline run: a simulated lab (bronze -> silver -> gold), a
 * production model (trained on synthetic device-days, then scoring the lab's devices), alert
 * events raised as monitoring raises them, alert delivery to Slack/PagerDuty receivers on
 * loopback and e-mail to the outbox. Then the report is served by the local host and opened in
 * Debian's Chromium through playwright-core.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const CHARTS = ['risk-heatmap', 'top-devices', 'drift-alerts', 'outbreak-signals', 'model-performance', 'stage-runs', 'quarantine'] as const;
const SLACK_PATH = '/hooks/T0REPORT/B0REPORT/reportWebhookSecretToken77';
const ROUTING_KEY = 'PDroutingKeyReportSecret0123456789';

let azurite: EmbeddedAzurite;
let ctx: AppContext;
let host: LocalHost;
let receiver: Server;
const received: { path: string; body: string }[] = [];
const work = mkdtempSync(path.join(tmpdir(), 'lims-report-'));
let reportDate: string;
let reportHtml: string;

async function startReceiver(): Promise<string> {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(request.url?.startsWith('/pagerduty') ? 202 : 200).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

/** A production model: trained on synthetic device-days of 2025 (the lab's days are 2026). */
async function trainProductionModel(): Promise<void> {
  const { dataset, featureDay } = syntheticDeviceDays({ devices: 60, days: 63, seed: 3, startDay: Date.UTC(2025, 0, 1) });
  const byDay = new Map<number, Row[]>();
  for (let r = 0; r < dataset.nRows; r++) {
    const row: Row = { device_id: `SYN${r % 60}` };
    FEATURE_NAMES.forEach((name, f) => (row[name] = dataset.x[r * FEATURE_NAMES.length + f]!));
    row.failure_within_7d = dataset.y[r]!;
    row.label_observed = 1;
    byDay.set(featureDay[r]!, [...(byDay.get(featureDay[r]!) ?? []), row]);
  }
  await Promise.all([...byDay].map(([day, rows]) => ctx.lake.writePartition(DEVICE_FEATURES, { feature_date: isoDay(day), shard: '00' }, 'synthetic', rows)));
  const outcome = await trainAndRegister(ctx, () => undefined);
  expect(outcome.decision.promote).toBe(true);
}

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  const receiverUrl = await startReceiver();
  ctx = createAppContext(
    loadConfig({
      GOLD_SHARDS: '1',
      QUEUE_MAX_ATTEMPTS: '2',
      ALERT_RISK_SCORE: '30',
      ALERT_SLACK_MIN_SEVERITY: 'MEDIUM',
      SLACK_WEBHOOK_URL: `${receiverUrl}${SLACK_PATH}`,
      PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
      PAGERDUTY_EVENTS_URL: `${receiverUrl}/pagerduty/v2/enqueue`,
      ALERT_EMAIL_LAB_MANAGERS: 'manager@lab.example.org',
      ALERT_EMAIL_OPS_TEAM: 'ops@lab.example.org',
    }),
    started.storage,
    work,
  );
  await trainProductionModel();
  await writeSimulatedLims({ ...DEFAULT_SIMULATION, devices: 10, days: 30, seed: 11 }, path.join(work, 'lims'));
  await runPipeline(ctx);
  const horizon = (await ctx.horizon.latestDay())!;
  await scoreShard(scoringDeps(ctx), { scoreDate: horizon, shard: 0 });
  await backfillRiskHistory(ctx, horizon);

  // Drift alerts as monitoring raises them (rules from lib/alerts, thresholds from settings).
  const days = [-9, -6, -2].map((d) => isoDay(Date.parse(`${horizon}T00:00:00Z`) + d * 86_400_000));
  await recordAlertEvents(ctx, [
    ...calibrationDriftAlerts([{ device: 'DEV00003', analyte: '2345-7', z: 4.1, pAdjusted: 0.002, day: days[0]!, method: 'self' }], ctx.config),
    ...calibrationDriftAlerts([{ device: 'DEV00005', analyte: '2160-0', z: -3.6, pAdjusted: 0.02, day: days[2]!, method: 'peer' }], ctx.config),
    ...dataDriftAlerts([{ name: 'glucose', pValue: 0.001 }, { name: 'sodium', pValue: 0.01 }, { name: 'error_rate_7d', pValue: 0.03 }], days[1]!, ctx.config),
  ]);
  await evaluateAlerts(ctx);
  await drainAlertQueues(ctx);

  reportDate = defaultReportDate(ctx);
  reportHtml = (await writeDailyReport(ctx, { date: reportDate })).html;
  await drainAlertQueues(ctx);
  host = await startLocalHost(ctx, { port: 0, pollIntervalMs: 0 });
}, 180_000);

afterAll(async () => {
  await host?.stop();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  await ctx?.close();
  await azurite?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('daily report', () => {
  it('is dated by the simulated clock and covers the data through the day before', async () => {
    expect(reportDate).toBe('2026-01-31'); // 2026-01-01 + 30 simulated days
    const data = await collectReportData(ctx, reportDate);
    expect(data.dataDay).toBe('2026-01-30');
    expect(data.clock.kind).toBe('simulated');
    expect(data.risk.days).toHaveLength(14);
    expect(data.risk.devicesScored).toBe(10);
    // The 14 days were scored (the run's backfill), so every device has a full row.
    expect(data.risk.rows.every((r) => r.scores.every((s) => s !== null))).toBe(true);
    expect(data.risk.top).toHaveLength(10);
    expect(data.drift.calibration.reduce((a, b) => a + b, 0)).toBe(2);
    expect(data.drift.data.reduce((a, b) => a + b, 0)).toBe(1);
    expect(data.outbreak.source).toBe('outbreak_series');
    expect(data.outbreak.panels.length).toBeGreaterThan(0);
    expect(data.performance.source).toBe('model_card');
    expect(data.pipeline.stages.map((s) => s.stage)).toEqual(expect.arrayContaining(['bronze', 'silver', 'score']));
    expect(data.pipeline.freshness.lagMinutes).toBeLessThan(60);
    expect(await latestScoreDay(ctx)).toBe('2026-01-30');
  });

  it('is served at /api/dashboard (latest) and /api/reports/{date}, as stored', async () => {
    const dashboard = await fetch(`${host.url}/api/dashboard`);
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await dashboard.text()).toBe(reportHtml);
    const byDate = await fetch(`${host.url}/api/reports/${reportDate}`);
    expect(await byDate.text()).toBe(reportHtml);
    const missing = await fetch(`${host.url}/api/reports/2001-01-01`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain(`The latest is ${reportDate}`);
    const bad = await fetch(`${host.url}/api/reports/yesterday`);
    expect(bad.status).toBe(400);
  });

  it('is one self-contained file: no script, no external resource', () => {
    expect(reportHtml).not.toMatch(/<script|<link|@import|url\(|<img|<iframe/i);
    expect(reportHtml.match(/(?:src|href)=/gi) ?? []).toEqual([]);
    // The only URL-like text is the SVG namespace.
    expect([...reportHtml.matchAll(/https?:\/\/[^\s"'<]+/g)].map((m) => m[0])).toEqual(expect.arrayContaining(['http://www.w3.org/2000/svg']));
    expect(new Set([...reportHtml.matchAll(/https?:\/\/[^\s"'<]+/g)].map((m) => m[0]))).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('was e-mailed: the report and the alerts are in the outbox', () => {
    const files = readdirSync(path.join(work, 'outbox'));
    expect(files.some((f) => f.includes(`lims-daily-report-${reportDate}`))).toBe(true);
    expect(files.some((f) => f.includes('critical-device-dev00003-calibration-drift'))).toBe(true);
    expect(files.some((f) => f.includes('medium-data-drift'))).toBe(true);
  });

  it('no patient identifier and no secret in the alert e-mails, the webhook payloads or the report', async () => {
    const bronze: Row[] = [];
    for (const partition of await ctx.lake.listPartitions(bronzeTable('lab_results'))) bronze.push(...(await ctx.lake.readRows(bronzeTable('lab_results'), partition)));
    expect(bronze.length).toBeGreaterThan(1000);
    const ids = new Set(bronze.map((r) => r.patient_id).filter((v): v is string => typeof v === 'string' && v.length > 0));
    const names = new Set(bronze.map((r) => r.patient_name).filter((v): v is string => typeof v === 'string' && v.includes(' ')));
    const postal = new Set(bronze.map((r) => r.postal_code).filter((v): v is string => typeof v === 'string' && /^\d{5}$/.test(v)));
    // Birth dates of patients born before the simulated year (a 2026 birth date could equal a report day).
    const births = new Set(bronze.map((r) => r.date_of_birth).filter((v): v is number => typeof v === 'number').map((ms) => new Date(ms).toISOString().slice(0, 10)).filter((d) => d < '2025-06-01'));
    expect(ids.size).toBeGreaterThan(50);

    const outbox = readdirSync(path.join(work, 'outbox')).map((f) => readFileSync(path.join(work, 'outbox', f), 'utf8'));
    expect(outbox.length).toBeGreaterThan(3);
    expect(received.length).toBeGreaterThan(0);
    const documents = [reportHtml, ...outbox, ...received.map((r) => r.body)];
    const secrets = [SLACK_PATH, 'reportWebhookSecretToken77', ROUTING_KEY];
    const findings: string[] = [];
    for (const text of documents) {
      for (const [m] of text.matchAll(/P\d{7}/g)) if (ids.has(m)) findings.push(`patient id ${m}`);
      for (const name of names) if (text.includes(name)) findings.push(`patient name ${name}`);
      for (const [m] of text.matchAll(/\d{4}-\d{2}-\d{2}/g)) if (births.has(m)) findings.push(`birth date ${m}`);
      for (const [m] of text.matchAll(/(?<![A-Za-z0-9_-])\d{5}(?![A-Za-z0-9])/g)) if (postal.has(m)) findings.push(`postal code ${m}`);
      for (const secret of secrets) if (text.includes(secret)) findings.push('a configured secret');
    }
    // The PagerDuty receiver must get its routing key, and only there: it is in the request body.
    const outsidePagerDuty = findings.filter((f) => f !== 'a configured secret');
    expect(outsidePagerDuty).toEqual([]);
    const secretPlaces = documents.filter((text) => secrets.some((s) => text.includes(s)));
    expect(secretPlaces.every((text) => received.some((r) => r.path.startsWith('/pagerduty') && r.body === text))).toBe(true);
  });

  it('reads monitoring tables when present: model_performance and outbreak signals', async () => {
    const day = '2026-01-29';
    const performance = ctx.storage.table(TABLES.modelPerformance);
    const signals = ctx.storage.table(TABLES.outbreakSignals);
    await performance.upsertEntity(
      { partitionKey: 'device_failure', rowKey: `${day}_v1`, day, model_version: 'v1', precision: 0.5, recall: 0.6, roc_auc: 0.81, window_roc_auc: 0.83, card_roc_auc: 0.9 },
      'Replace',
    );
    const signalRow = (d: string, value: number) => ({
      partitionKey: d,
      rowKey: '94500-6|ALL',
      loinc_code: '94500-6',
      test: 'SARS-CoV-2 RNA',
      region: 'ALL',
      tests: 40,
      positives: value,
      alarm: value > 5.5,
      ears_c2_value: value,
      ears_c2_threshold: 5.5,
      ears_c2_alarm: value > 5.5,
    });
    // One day of signals: the positivity series is charted, the day's signals listed beside it.
    await signals.upsertEntity(signalRow(day, 9), 'Replace');
    let data = await collectReportData(ctx, reportDate);
    expect(data.performance.source).toBe('model_performance');
    expect(data.performance.series.find((s) => s.metric === 'roc_auc')).toEqual({ metric: 'roc_auc', points: [{ day, value: 0.83 }], card: 0.9 });
    expect(data.outbreak).toMatchObject({ source: 'outbreak_series', signalDays: 1, latest: [{ test: 'SARS-CoV-2 RNA (EARS C2)', region: 'all regions', day, value: 9, threshold: 5.5, alarm: true }] });
    // A week of signals: charted from them.
    const week = Array.from({ length: 7 }, (_, i) => isoDay(Date.parse('2026-01-23T00:00:00Z') + i * 86_400_000));
    await Promise.all(week.map((d, i) => signals.upsertEntity(signalRow(d, d === day ? 9 : 2 + (i % 3)), 'Replace')));
    data = await collectReportData(ctx, reportDate);
    expect(data.outbreak.source).toBe('outbreak_signals');
    expect(data.outbreak.panels[0]!.points).toHaveLength(7);
    expect(data.outbreak.panels[0]!.points.filter((p) => p.alarm).map((p) => p.day)).toEqual([day]);
    await performance.deleteEntity('device_failure', `${day}_v1`);
    await Promise.all(week.map((d) => signals.deleteEntity(d, '94500-6|ALL')));
  });

  it('opens in headless Chromium with no console error and every chart drawn, on a desktop and a phone', async (test) => {
    if (!existsSync(CHROMIUM)) {
      console.warn(`Skipping the browser test: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does).`);
      test.skip();
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      mkdirSync(ARTIFACTS, { recursive: true });
      for (const viewport of [{ name: 'desktop', width: 1366, height: 900 }, { name: 'phone', width: 390, height: 844 }]) {
        const page = await browser.newPage({ viewport: { width: viewport.width, height: viewport.height } });
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('request', (r) => requests.push(r.url()));
        const response = await page.goto(`${host.url}/api/reports/${reportDate}`, { waitUntil: 'load' });
        expect(response?.status()).toBe(200);
        for (const chart of CHARTS) {
          const marks = await page.locator(`svg[data-chart="${chart}"] .mark`).count();
          expect(marks, `${chart} has data marks`).toBeGreaterThan(0);
          expect(await page.locator(`[data-chart-empty="${chart}"]`).count(), `${chart} is not "no data yet"`).toBe(0);
        }
        const heat = await page.locator('svg[data-chart="risk-heatmap"] rect.mark').count();
        expect(heat).toBe(10 * 14);
        const box = await page.locator('svg[data-chart="risk-heatmap"]').boundingBox();
        expect(box!.width).toBeGreaterThan(viewport.width * 0.6);
        // Fits the screen: no horizontal scrolling of the page.
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
        expect(overflow).toBeLessThanOrEqual(1);
        await page.screenshot({ path: path.join(ARTIFACTS, `daily-report-${viewport.name}.png`), fullPage: true });
        expect(problems).toEqual([]);
        expect(requests).toEqual([`${host.url}/api/reports/${reportDate}`]);
        await page.close();
      }
    } finally {
      await browser.close();
    }
    expect(existsSync(path.join(ARTIFACTS, 'daily-report-desktop.png'))).toBe(true);
  });
});
