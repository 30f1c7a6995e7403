import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { DeliveryLog } from '../lib/alerts/deliveries.js';
import { deliverAlert, deliverDeps, dispatchAlert, dispatchDeps } from '../lib/alerts/dispatch.js';
import { evaluateAlerts } from '../lib/alerts/evaluate.js';
import type { AlertEvent } from '../lib/alerts/events.js';
import { failedUnits } from '../lib/alerts/health.js';
import { ServiceBusTopicPublisher, alertPublisher } from '../lib/alerts/publisher.js';
import { recordAlertEvent, recordAlertEvents } from '../lib/alerts/record.js';
import { ALERT_RULES, calibrationDriftAlerts, dataDriftAlerts, highRiskAlerts, outbreakAlerts, performanceAlerts, pipelineAlerts } from '../lib/alerts/rules.js';
import { AlertStateStore, decide } from '../lib/alerts/state.js';
import { loadConfig } from '../lib/config/config.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { QUEUES, TABLES } from '../lib/platform/resources.js';
import type { Storage } from '../lib/platform/storage.js';
import { drainQueue, openWorkQueue, ParkedMessageLog } from '../lib/queue/index.js';
import { DEVICE_RISK } from '../lib/scoring/batch.js';
import type { RunRecord } from '../lib/state/runs.js';
import { startTestStorage } from './support/storage.js';

/**
 * Alert delivery end to end over a real Azurite and real HTTP: events recorded with
 * recordAlertEvent go through the dispatcher's queue (de-duplication in Table storage) to the
 * deliveries queue, whose handler posts to Slack and PagerDuty receivers on loopback and writes
 * e-mail to the outbox folder.
 */

interface Received {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** Webhook receivers on loopback: 200 on /slack/..., 202 on /pagerduty, 500 on /failing/... */
class Receivers {
  readonly received: Received[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        const url = request.url ?? '';
        this.received.push({ path: url, body });
        if (url.startsWith('/failing')) {
          response.writeHead(500, { 'content-type': 'text/plain' }).end('receiver down');
        } else if (url.startsWith('/pagerduty')) {
          response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: body.dedup_key }));
        } else {
          response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  to(prefix: string): Received[] {
    return this.received.filter((r) => r.path.startsWith(prefix));
  }

  clear(): void {
    this.received.length = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let azurite: EmbeddedAzurite;
let storage: Storage;
const receivers = new Receivers();
const work = mkdtempSync(path.join(tmpdir(), 'lims-alerts-'));
const SLACK_SECRET_PATH = '/slack/T0SECRET/B0SECRET/xoxSecretWebhookToken42';
const ROUTING_KEY = 'R0UTINGKEYsecret0123456789abcdef';

function context(settings: Record<string, string> = {}): AppContext {
  return createAppContext(
    loadConfig({
      QUEUE_MAX_ATTEMPTS: '3',
      SLACK_WEBHOOK_URL: `${receivers.url}${SLACK_SECRET_PATH}`,
      PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
      PAGERDUTY_EVENTS_URL: `${receivers.url}/pagerduty/v2/enqueue`,
      ALERT_EMAIL_LAB_MANAGERS: 'lab.manager@example.org',
      ALERT_EMAIL_OPS_TEAM: 'ops@example.org,oncall@example.org',
      ALERT_EMAIL_PUBLIC_HEALTH: 'epi@health.example.org',
      ...settings,
    }),
    storage,
    work,
  );
}

/** What the dispatcher and deliveries queue triggers do, run to completion (fast local backoff). */
async function drainAlerts(ctx: AppContext): Promise<{ parked: number }> {
  const options = { maxAttempts: ctx.config.QUEUE_MAX_ATTEMPTS, waitForRetriesWithinSeconds: 30, visibilityTimeoutSeconds: 60, concurrency: 8 };
  const backoff = { backoff: { initialSeconds: 1, maxSeconds: 2 } };
  const dispatch = dispatchDeps(ctx);
  const a = await drainQueue(openWorkQueue<unknown>(QUEUES.alertDispatch, ctx.config, ctx.storage, backoff), async (body) => void (await dispatchAlert(dispatch, body)), options);
  const deliver = deliverDeps(ctx);
  const b = await drainQueue(openWorkQueue<unknown>(QUEUES.alertDeliveries, ctx.config, ctx.storage, backoff), async (body) => void (await deliverAlert(deliver, body)), options);
  return { parked: a.parked + b.parked };
}

const outbox = (): string[] => {
  try {
    return readdirSync(path.join(work, 'outbox')).filter((f) => f.endsWith('.html'));
  } catch {
    return [];
  }
};

function calibrationEvent(subject: string, z: number, status: 'firing' | 'resolved' = 'firing'): AlertEvent {
  const [event] = calibrationDriftAlerts([{ device: subject.split('/')[0]!, analyte: subject.split('/')[1]!, z, pAdjusted: 0.001, day: '2026-03-01', method: 'self' }], loadConfig({}));
  if (!event) throw new Error(`z = ${z} does not fire`);
  return { ...event, status };
}

beforeAll(async () => {
  ({ azurite, storage } = await startTestStorage());
  await receivers.start();
});

afterAll(async () => {
  await receivers.stop();
  await azurite.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('alert rules as data', () => {
  const config = loadConfig({});

  it("has the seed's table as defaults: kinds, severities and thresholds from settings", () => {
    expect(ALERT_RULES.map((r) => [r.kind, r.severity])).toEqual([
      ['calibration_drift', 'CRITICAL'],
      ['high_risk_device', 'HIGH'],
      ['data_drift', 'MEDIUM'],
      ['pipeline_failure', 'HIGH'],
      ['outbreak_signal', 'HIGH'],
      ['model_performance', 'MEDIUM'],
    ]);
    expect(ALERT_RULES.find((r) => r.kind === 'calibration_drift')!.condition(config)).toContain('|z| > 3');
    expect(ALERT_RULES.find((r) => r.kind === 'pipeline_failure')!.condition(config)).toContain('60 min');
  });

  it('fires exactly past each configured threshold', () => {
    const day = '2026-03-01';
    expect(calibrationDriftAlerts([{ device: 'D1', analyte: '2345-7', z: 3, pAdjusted: 0.001, day }, { device: 'D2', analyte: '2345-7', z: -3.01, pAdjusted: 0.001, day }], config).map((e) => e.subject)).toEqual(['D2/2345-7']);
    expect(calibrationDriftAlerts([{ device: 'D1', analyte: 'x', z: 3.5, pAdjusted: 0.001, day }], loadConfig({ ALERT_CALIBRATION_Z: '4' }))).toHaveLength(0);
    // |z| past the threshold whose p-value does not survive the day's correction is no alert.
    expect(calibrationDriftAlerts([{ device: 'D1', analyte: 'x', z: 3.5, pAdjusted: 0.05, day }, { device: 'D2', analyte: 'x', z: 3.5, pAdjusted: 0.0499, day }], config).map((e) => e.subject)).toEqual(['D2/x']);
    expect(calibrationDriftAlerts([{ device: 'D1', analyte: 'x', z: 3.5, pAdjusted: 0.08, day }], loadConfig({ ALERT_CALIBRATION_FDR: '0.1' }))).toHaveLength(1);
    expect(highRiskAlerts([{ device: 'D1', day, riskScore: 80 }, { device: 'D2', day, riskScore: 81 }], config).map((e) => e.subject)).toEqual(['D2']);
    const tests = (ps: number[]) => ps.map((p, i) => ({ name: `t${i}`, pValue: p }));
    expect(dataDriftAlerts(tests([0.01, 0.02, 0.2, 0.5]), day, config)).toHaveLength(0);
    expect(dataDriftAlerts(tests([0.01, 0.02, 0.049, 0.5]), day, config)[0]).toMatchObject({ kind: 'data_drift', severity: 'MEDIUM', details: { drifting_tests: 3 } });
    expect(dataDriftAlerts(tests([0.01, 0.02, 0.049]), day, loadConfig({ ALERT_DRIFT_MIN_TESTS: '4' }))).toHaveLength(0);
    expect(outbreakAlerts([{ test: 'Influenza A', region: 'north', day, method: 'ears-c2', value: 9, threshold: 5, alarm: true }])[0]).toMatchObject({ severity: 'HIGH', subject: 'Influenza A/north' });
    expect(performanceAlerts([{ day, metric: 'recall', realised: 0.7, card: 0.76, modelVersion: 'v1' }], config)).toHaveLength(1);
    expect(performanceAlerts([{ day, metric: 'recall', realised: 0.72, card: 0.76, modelVersion: 'v1' }], config)).toHaveLength(0);
  });

  it('pipeline failure: a unit whose latest run failed, and data older than the freshness target', () => {
    const run = (unit: string, startedAt: string, status: RunRecord['status']): RunRecord => ({ runId: unit + startedAt, stage: 'silver', unit, startedAt, endedAt: startedAt, rowsIn: 0, rowsOut: 0, status, error: status === 'failed' ? 'boom for patient 1234567890' : null });
    const runs = [run('a', '2026-03-01T01:00:00Z', 'failed'), run('a', '2026-03-01T02:00:00Z', 'succeeded'), run('b', '2026-03-01T03:00:00Z', 'failed')];
    const failed = failedUnits(runs);
    expect(failed.map((f) => f.unit)).toEqual(['b']);
    const clock = '2026-03-02T00:00:00.000Z';
    const fresh = { clock, clockKind: 'simulated' as const, newestChange: '2026-03-01T23:30:00.000Z', lagMinutes: 30 };
    const events = pipelineAlerts(failed, fresh, '2026-03-02', loadConfig({}));
    expect(events.map((e) => e.subject)).toEqual(['stage:silver']);
    // Error text is redacted before it goes anywhere.
    expect(JSON.stringify(events)).not.toContain('1234567890');
    const stale = pipelineAlerts([], { ...fresh, lagMinutes: 61 }, '2026-03-02', loadConfig({}));
    expect(stale).toMatchObject([{ subject: 'data_freshness', severity: 'HIGH', details: { lag_minutes: 61, target_minutes: 60 } }]);
    expect(pipelineAlerts([], { ...fresh, lagMinutes: 61 }, '2026-03-02', loadConfig({ ALERT_FRESHNESS_MINUTES: '90' }))).toHaveLength(0);
  });

  it('de-duplication decisions: window, escalation, resolution, reopening', () => {
    const event = calibrationEvent('D1/x', 4);
    const high: AlertEvent = { ...event, severity: 'HIGH' };
    const t0 = new Date('2026-03-01T00:00:00Z');
    const window = 60 * 60_000;
    const open = { kind: event.kind, subject: event.subject, status: 'open' as const, severity: 'HIGH' as const, title: '', day: '', firstSeenAt: t0.toISOString(), lastSeenAt: t0.toISOString(), lastSentAt: t0.toISOString(), lastSentSeverity: 'HIGH' as const, notifications: 1, notifiedBy: 'm0', notifiedFor: 'new' as const, resolvedAt: null };
    expect(decide(undefined, high, 'm1', t0, window)).toMatchObject({ action: 'send', reason: 'new' });
    expect(decide(open, high, 'm1', new Date(t0.getTime() + window - 1), window)).toMatchObject({ action: 'suppress', reason: 'duplicate' });
    expect(decide(open, high, 'm1', new Date(t0.getTime() + window), window)).toMatchObject({ action: 'send', reason: 'reminder' });
    expect(decide(open, event, 'm1', t0, window)).toMatchObject({ action: 'send', reason: 'escalated' });
    expect(decide(open, { ...high, status: 'resolved' }, 'm1', t0, window)).toMatchObject({ action: 'resolve' });
    expect(decide({ ...open, status: 'resolved' }, high, 'm1', t0, window)).toMatchObject({ action: 'send', reason: 'reopened' });
    expect(decide({ ...open, status: 'resolved' }, { ...high, status: 'resolved' }, 'm1', t0, window)).toMatchObject({ action: 'suppress', reason: 'not open' });
    // A redelivery of the message that decided: the same decision, not a duplicate.
    expect(decide(open, high, 'm0', t0, window)).toMatchObject({ action: 'send', reason: 'new' });
  });
});

describe('alert delivery', () => {
  it('Slack and PagerDuty get well-formed payloads, e-mail goes to the outbox; a resolution closes the alert', async () => {
    const ctx = context();
    receivers.clear();
    await recordAlertEvent(ctx, calibrationEvent('DEV00007/2345-7', 4.2));
    expect((await drainAlerts(ctx)).parked).toBe(0);

    const [slack] = receivers.to('/slack');
    expect(slack!.path).toBe(SLACK_SECRET_PATH);
    expect(slack!.body.text).toBe('[CRITICAL] Device DEV00007: calibration drift on 2345-7 (z = 4.20)');
    expect(Array.isArray(slack!.body.blocks)).toBe(true);
    expect(JSON.stringify(slack!.body.blocks)).toContain('DEV00007/2345-7');

    const [page] = receivers.to('/pagerduty');
    expect(page!.body).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'lims-mlops/calibration_drift/DEV00007/2345-7',
      payload: { summary: 'Device DEV00007: calibration drift on 2345-7 (z = 4.20)', severity: 'critical', source: 'lims-mlops/monitoring/calibration', component: 'DEV00007/2345-7', group: 'calibration_drift' },
    });
    expect(typeof (page!.body.payload as { timestamp: string }).timestamp).toBe('string');

    const mails = outbox().filter((f) => f.includes('critical'));
    expect(mails).toHaveLength(1);
    const mail = readFileSync(path.join(work, 'outbox', mails[0]!), 'utf8');
    expect(mail).toContain('lab.manager@example.org, ops@example.org, oncall@example.org');
    expect(mail).toContain('calibration drift on 2345-7');

    const state = new AlertStateStore(storage.table(TABLES.alertState));
    expect(await state.get('calibration_drift', 'DEV00007/2345-7')).toMatchObject({ status: 'open', notifications: 1, lastSentSeverity: 'CRITICAL' });

    receivers.clear();
    await recordAlertEvent(ctx, calibrationEvent('DEV00007/2345-7', 4.2, 'resolved'));
    await drainAlerts(ctx);
    expect(receivers.to('/pagerduty').map((r) => r.body)).toEqual([{ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'lims-mlops/calibration_drift/DEV00007/2345-7' }]);
    expect(receivers.to('/slack')[0]!.body.text).toMatch(/^\[RESOLVED\] /);
    expect(await state.get('calibration_drift', 'DEV00007/2345-7')).toMatchObject({ status: 'resolved', notifications: 2 });
    // Resolving what is already closed sends nothing.
    receivers.clear();
    await recordAlertEvent(ctx, calibrationEvent('DEV00007/2345-7', 4.2, 'resolved'));
    await drainAlerts(ctx);
    expect(receivers.received).toHaveLength(0);
  });

  it('100 identical alerts inside the window make one delivery per channel; an escalation re-sends; a resolution closes; a recurrence reopens', async () => {
    const ctx = context();
    receivers.clear();
    const before = outbox().length;
    const [high] = highRiskAlerts([{ device: 'DEV00042', day: '2026-03-01', riskScore: 91, probability: 0.91, modelVersion: 'v1', factors: [{ feature: 'error_rate_7d', value: 0.08, contribution: 1.2 }] }], ctx.config);
    await recordAlertEvents(ctx, Array.from({ length: 100 }, () => high!));
    await drainAlerts(ctx);
    expect(receivers.to('/slack')).toHaveLength(1);
    expect(receivers.to('/pagerduty')).toHaveLength(0); // HIGH does not page
    expect(outbox().length - before).toBe(1);
    const state = new AlertStateStore(storage.table(TABLES.alertState));
    expect(await state.get('high_risk_device', 'DEV00042')).toMatchObject({ status: 'open', notifications: 1, notifiedFor: 'new' });

    receivers.clear();
    await recordAlertEvent(ctx, { ...high!, severity: 'CRITICAL', title: 'Device DEV00042: failure risk score 99' });
    await drainAlerts(ctx);
    expect(receivers.to('/slack')).toHaveLength(1);
    expect(receivers.to('/pagerduty').map((r) => r.body.event_action)).toEqual(['trigger']);
    expect(await state.get('high_risk_device', 'DEV00042')).toMatchObject({ notifications: 2, lastSentSeverity: 'CRITICAL', notifiedFor: 'escalated' });

    receivers.clear();
    await recordAlertEvent(ctx, { ...high!, status: 'resolved' });
    await drainAlerts(ctx);
    // Closed where it was sent: PagerDuty was paged for the escalation, so it is resolved there.
    expect(receivers.to('/pagerduty').map((r) => r.body.event_action)).toEqual(['resolve']);
    expect(await state.get('high_risk_device', 'DEV00042')).toMatchObject({ status: 'resolved' });

    receivers.clear();
    await recordAlertEvent(ctx, high!);
    await drainAlerts(ctx);
    expect(receivers.to('/slack')).toHaveLength(1);
    expect(await state.get('high_risk_device', 'DEV00042')).toMatchObject({ status: 'open', notifiedFor: 'reopened' });
  });

  it('a failing receiver is retried with backoff, then the delivery is parked with its reason; the other channels are not held up', async () => {
    const failingUrl = `${receivers.url}/failing/T0SECRET/B0SECRET/failingWebhookSecret99`;
    const ctx = context({ SLACK_WEBHOOK_URL: failingUrl });
    receivers.clear();
    await recordAlertEvent(ctx, calibrationEvent('DEV00099/1988-5', 5.5));
    const { parked } = await drainAlerts(ctx);
    expect(parked).toBe(1);
    expect(receivers.to('/failing')).toHaveLength(3); // QUEUE_MAX_ATTEMPTS
    expect(receivers.to('/pagerduty')).toHaveLength(1);

    const log = new DeliveryLog(storage.table(TABLES.alertDeliveries));
    const id = 'lims-mlops/calibration_drift/DEV00099/1988-5#1#slack';
    expect(await log.get(id)).toMatchObject({ status: 'parked', attempts: 3, lastError: 'Slack: HTTP 500 receiver down' });
    expect((await log.attempts(id)).map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed']);
    expect(await log.get('lims-mlops/calibration_drift/DEV00099/1988-5#1#pagerduty')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await log.get('lims-mlops/calibration_drift/DEV00099/1988-5#1#email')).toMatchObject({ status: 'sent' });

    const parkedMessages = await new ParkedMessageLog(storage.table(TABLES.parked)).list(QUEUES.alertDeliveries);
    const mine = parkedMessages.find((p) => p.body.includes('DEV00099'));
    expect(mine?.reason).toBe('Failed on attempt 3 of 3: Slack: HTTP 500 receiver down');
    // Not lost: the message waits in the poison queue, and no record carries the webhook URL.
    const poison = await storage.queues.getQueueClient(`${QUEUES.alertDeliveries}-poison`).peekMessages({ numberOfMessages: 32 });
    expect(poison.peekedMessageItems.some((m) => Buffer.from(m.messageText, 'base64').toString('utf8').includes('DEV00099'))).toBe(true);
    const everything = JSON.stringify([await log.list(), parkedMessages]);
    expect(everything).not.toContain('failingWebhookSecret99');
    expect(everything).not.toContain(ROUTING_KEY);
  });

  it('evaluateAlerts raises high-risk devices of the latest score day and stale data, and resolves them when they clear', async () => {
    const ctx = context({ ALERT_RISK_SCORE: '80' });
    const alerts = storage.table(TABLES.alerts);
    const highRisk = (day: string, device: string, riskScore: number) =>
      alerts.upsertEntity({ partitionKey: 'high_risk_device', rowKey: `${day}_${device}`, kind: 'high_risk_device', severity: 'HIGH', subject: device, day, riskScore, probability: riskScore / 100, modelVersion: 'v1', factors: '[]', recordedAt: new Date().toISOString() }, 'Replace');
    const row = (device: string, score: number) => ({ device_id: device, probability: score / 100, risk_score: score, risk_level: score > 80 ? 'HIGH' : 'LOW', model_version: 'v1', top_factors: '[]' });
    await ctx.lake.writePartition(DEVICE_RISK, { score_date: '2026-04-01', shard: '00' }, 'test', [row('DEVEVAL1', 85), row('DEVEVAL2', 95)]);
    await highRisk('2026-04-01', 'DEVEVAL1', 85);
    await highRisk('2026-04-01', 'DEVEVAL2', 95);
    const first = await evaluateAlerts(ctx);
    // Nothing was ingested in this storage: freshness fires (no data yet).
    expect(first).toMatchObject({ scoreDay: '2026-04-01', highRisk: { firing: 2, published: 2 }, pipeline: { firing: 1 } });
    await drainAlerts(ctx);
    const state = new AlertStateStore(storage.table(TABLES.alertState));
    expect((await state.open('high_risk_device')).map((s) => s.subject).filter((s) => s.startsWith('DEVEVAL')).sort()).toEqual(['DEVEVAL1', 'DEVEVAL2']);
    expect(await state.get('pipeline_failure', 'data_freshness')).toMatchObject({ status: 'open', severity: 'HIGH' });

    // Re-evaluating publishes nothing new for the same day's devices.
    expect((await evaluateAlerts(ctx)).highRisk.published).toBe(0);

    // The next score day: DEVEVAL2 is no longer high; its alert (and the others not high) close.
    await ctx.lake.writePartition(DEVICE_RISK, { score_date: '2026-04-02', shard: '00' }, 'test', [row('DEVEVAL1', 88), row('DEVEVAL2', 40)]);
    await highRisk('2026-04-02', 'DEVEVAL1', 88);
    const second = await evaluateAlerts(ctx);
    expect(second.highRisk.firing).toBe(1);
    await drainAlerts(ctx);
    expect(await state.get('high_risk_device', 'DEVEVAL2')).toMatchObject({ status: 'resolved' });
    expect(await state.get('high_risk_device', 'DEVEVAL1')).toMatchObject({ status: 'open', notifications: 1 });
  });

  it('publishes to the Service Bus topic with kind and severity as properties (Azure), to the dispatcher queue on the embedded default', async () => {
    const sent: unknown[] = [];
    const publisher = new ServiceBusTopicPublisher({ entityPath: 'alerts', sendMessages: async (m: unknown) => void sent.push(...(m as unknown[])) } as never);
    const event = calibrationEvent('DEV1/2345-7', 3.5);
    await publisher.publish([{ id: 'e1', event, publishedAt: '2026-03-01T00:00:00Z' }]);
    expect(sent).toEqual([
      {
        body: { id: 'e1', event, publishedAt: '2026-03-01T00:00:00Z' },
        contentType: 'application/json',
        messageId: 'e1',
        subject: 'calibration_drift',
        correlationId: 'lims-mlops/calibration_drift/DEV1/2345-7',
        applicationProperties: { kind: 'calibration_drift', severity: 'CRITICAL', status: 'firing' },
      },
    ]);
    expect(publisher.description).toBe('Service Bus topic alerts');
    expect(alertPublisher(loadConfig({}), storage).description).toBe(`queue ${QUEUES.alertDispatch}`);
  });

  it('a malformed alert event is refused naming the field', async () => {
    const ctx = context();
    await expect(recordAlertEvent(ctx, { ...calibrationEvent('D/x', 4), severity: 'URGENT' as never })).rejects.toThrow('alert event field severity must be one of LOW, MEDIUM, HIGH, CRITICAL');
    await expect(recordAlertEvent(ctx, { ...calibrationEvent('D/x', 4), day: '01/03/2026' })).rejects.toThrow('field day must be a date YYYY-MM-DD');
  });
});
