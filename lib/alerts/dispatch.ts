import path from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import type { AppContext } from '../app/context.js';
import type { Config } from '../config/config.js';
import { readBlobText } from '../platform/blobs.js';
import { CONTAINERS, QUEUES, TABLES } from '../platform/resources.js';
import { credentialFor } from '../platform/storage.js';
import { openWorkQueue } from '../queue/index.js';
import { describeError } from '../queue/workQueue.js';
import { AcsEmailSender, OutboxEmailSender, postToSlack, sendToPagerDuty, type EmailSender } from './channels.js';
import { DeliveryLog, type Channel } from './deliveries.js';
import { alertKey, severityRank, validateAlertEvent, validateAlertMessage, type AlertEvent, type Severity } from './events.js';
import { alertEmail, pagerDutyEvent, slackMessage, type AlertAction } from './format.js';
import { addressList, parseRecipientRoutes, type RecipientGroup } from './recipients.js';
import { AlertStateStore, type Decision } from './state.js';
import type { RuleConfig } from './rules.js';

/**
 * The dispatcher (queue `alert-dispatch`, fed by the `alerts` topic) decides per event, with
 * the de-duplication record, whether to notify; each notification becomes one delivery message
 * per channel on `alert-deliveries`, where a failing channel is retried with backoff and then
 * parked without holding up the others.
 */
export type DispatchConfig = Pick<
  Config,
  | 'ALERT_DEDUP_WINDOW_MINUTES'
  | 'ALERT_RECIPIENTS'
  | 'ALERT_EMAIL_LAB_MANAGERS'
  | 'ALERT_EMAIL_OPS_TEAM'
  | 'ALERT_EMAIL_PUBLIC_HEALTH'
  | 'ALERT_SLACK_MIN_SEVERITY'
  | 'SLACK_WEBHOOK_URL'
  | 'PAGERDUTY_ROUTING_KEY'
  | 'PAGERDUTY_EVENTS_URL'
  | 'EMAIL_ACS_ENDPOINT'
  | 'REPORT_EMAIL_TO'
  | 'QUEUE_MAX_ATTEMPTS'
> &
  RuleConfig;

export interface DeliveryMessage {
  /** Stable for the notice and channel: `<alert key>#<notification>#<channel>` or `report/<date>#email`. */
  readonly id: string;
  readonly channel: Channel;
  readonly alert?: { readonly event: AlertEvent; readonly action: AlertAction; readonly reason: string };
  readonly report?: { readonly date: string; readonly blob: string; readonly subject: string };
  readonly to?: readonly string[];
}

export interface DispatchDeps {
  readonly config: DispatchConfig;
  readonly state: AlertStateStore;
  readonly deliveries: DeliveryLog;
  enqueue(messages: readonly DeliveryMessage[]): Promise<void>;
  now(): Date;
}

export interface Route {
  readonly channel: Channel;
  readonly to?: readonly string[];
}

const GROUP_SETTING: Record<RecipientGroup, 'ALERT_EMAIL_LAB_MANAGERS' | 'ALERT_EMAIL_OPS_TEAM' | 'ALERT_EMAIL_PUBLIC_HEALTH'> = {
  lab_managers: 'ALERT_EMAIL_LAB_MANAGERS',
  ops_team: 'ALERT_EMAIL_OPS_TEAM',
  public_health: 'ALERT_EMAIL_PUBLIC_HEALTH',
};

export function emailRecipients(config: DispatchConfig, kind: AlertEvent['kind']): { groups: readonly RecipientGroup[]; addresses: string[] } {
  const groups = parseRecipientRoutes(config.ALERT_RECIPIENTS)?.[kind] ?? [];
  const addresses = [...new Set(groups.flatMap((g) => addressList(config[GROUP_SETTING[g]])))];
  return { groups, addresses };
}

export function reportRecipients(config: DispatchConfig): string[] {
  return addressList(config.REPORT_EMAIL_TO || config.ALERT_EMAIL_LAB_MANAGERS);
}

/**
 * Channels for a notice, by kind and severity: e-mail to the kind's recipient groups (always
 * written to the outbox on the embedded default, even with no addresses configured); Slack from
 * ALERT_SLACK_MIN_SEVERITY up; PagerDuty for CRITICAL only. A resolution goes where the
 * notice it closes went (by the severity last sent).
 */
export function routesFor(event: AlertEvent, severity: Severity, config: DispatchConfig): Route[] {
  const routes: Route[] = [];
  const { groups, addresses } = emailRecipients(config, event.kind);
  if (groups.length > 0 && (addresses.length > 0 || config.EMAIL_ACS_ENDPOINT === '')) routes.push({ channel: 'email', to: addresses });
  if (config.SLACK_WEBHOOK_URL && severityRank(severity) >= severityRank(config.ALERT_SLACK_MIN_SEVERITY)) routes.push({ channel: 'slack' });
  if (config.PAGERDUTY_ROUTING_KEY && severity === 'CRITICAL') routes.push({ channel: 'pagerduty' });
  return routes;
}

export interface DispatchResult {
  readonly decision: Decision;
  readonly deliveries: readonly DeliveryMessage[];
}

export async function dispatchAlert(deps: DispatchDeps, body: unknown): Promise<DispatchResult> {
  const message = validateAlertMessage(body);
  const { event } = message;
  const { decision } = await deps.state.apply(event, message.id, deps.now(), deps.config.ALERT_DEDUP_WINDOW_MINUTES * 60_000);
  if (decision.action === 'suppress') return { decision, deliveries: [] };
  const action: AlertAction = decision.action === 'resolve' ? 'resolve' : 'trigger';
  const severity = decision.action === 'resolve' ? (decision.sentSeverity ?? event.severity) : event.severity;
  const deliveries = routesFor(event, severity, deps.config).map(
    (route): DeliveryMessage => ({
      id: `${alertKey(event)}#${decision.notification}#${route.channel}`,
      channel: route.channel,
      alert: { event: { ...event, severity }, action, reason: decision.reason },
      ...(route.to ? { to: route.to } : {}),
    }),
  );
  await deps.deliveries.queued(
    deliveries.map((d) => ({ id: d.id, channel: d.channel, what: 'alert', about: `${event.kind}/${event.subject}`, severity, action, recipients: d.to?.length ?? 0 })),
  );
  await deps.enqueue(deliveries);
  return { decision, deliveries };
}

export interface DeliverDeps {
  readonly config: DispatchConfig;
  readonly deliveries: DeliveryLog;
  readonly email: EmailSender;
  /** The reports container, for report e-mails (the body is read from the stored report). */
  readonly reports: ContainerClient;
}

export function parseDeliveryMessage(body: unknown): DeliveryMessage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('alert-deliveries message must be a JSON object');
  const m = body as Record<string, unknown>;
  if (typeof m.id !== 'string' || m.id === '') throw new Error('alert-deliveries message field id must be a non-empty text');
  if (m.channel !== 'email' && m.channel !== 'slack' && m.channel !== 'pagerduty') throw new Error(`alert-deliveries message field channel must be email, slack or pagerduty, got ${JSON.stringify(m.channel)}`);
  const to = Array.isArray(m.to) ? m.to.filter((a): a is string => typeof a === 'string') : undefined;
  if (m.report !== undefined) {
    const r = m.report as Record<string, unknown>;
    if (typeof r.date !== 'string' || typeof r.blob !== 'string' || typeof r.subject !== 'string') throw new Error('alert-deliveries message field report must have date, blob and subject');
    return { id: m.id, channel: m.channel, report: { date: r.date, blob: r.blob, subject: r.subject }, ...(to ? { to } : {}) };
  }
  const a = m.alert as Record<string, unknown> | undefined;
  if (!a || (a.action !== 'trigger' && a.action !== 'resolve') || typeof a.reason !== 'string') throw new Error('alert-deliveries message field alert must have event, action (trigger|resolve) and reason');
  return { id: m.id, channel: m.channel, alert: { event: validateAlertEvent(a.event, 'alert-deliveries message field alert.event'), action: a.action, reason: a.reason }, ...(to ? { to } : {}) };
}

/**
 * Sends one delivery. Already sent (a redelivered message): nothing to do. A failure is
 * recorded as an attempt and rethrown, so the queue retries it with backoff and parks it after
 * QUEUE_MAX_ATTEMPTS; the summary then says `parked`, with the reason.
 */
export async function deliverAlert(deps: DeliverDeps, body: unknown): Promise<'sent' | 'already sent'> {
  const message = parseDeliveryMessage(body);
  const known = await deps.deliveries.get(message.id);
  if (known?.status === 'sent') return 'already sent';
  const attempt = (known?.attempts ?? 0) + 1;
  try {
    const { reference } = await send(deps, message);
    await deps.deliveries.attempt(message.id, attempt, 'sent', 'sent', { reference });
    return 'sent';
  } catch (error) {
    const reason = describeError(error instanceof Error ? error : new Error(String(error)));
    const status = attempt >= deps.config.QUEUE_MAX_ATTEMPTS ? 'parked' : 'retrying';
    await deps.deliveries.attempt(message.id, attempt, 'failed', status, { error: reason });
    throw error;
  }
}

async function send(deps: DeliverDeps, message: DeliveryMessage): Promise<{ reference: string }> {
  const { config } = deps;
  if (message.report) {
    const html = await readBlobText(deps.reports.getBlobClient(message.report.blob));
    const text = `${message.report.subject}\n\nThe report is the HTML body of this e-mail; it is also served at /api/reports/${message.report.date}.`;
    return deps.email.send({ to: message.to ?? [], subject: message.report.subject, html, text }, message.id);
  }
  const notice = message.alert!;
  switch (message.channel) {
    case 'email':
      return deps.email.send(alertEmail(notice, message.to ?? [], config), message.id);
    case 'slack':
      if (!config.SLACK_WEBHOOK_URL) throw new Error('Slack: SLACK_WEBHOOK_URL is no longer set');
      return postToSlack(config.SLACK_WEBHOOK_URL, slackMessage(notice));
    case 'pagerduty':
      if (!config.PAGERDUTY_ROUTING_KEY) throw new Error('PagerDuty: PAGERDUTY_ROUTING_KEY is no longer set');
      return sendToPagerDuty(config.PAGERDUTY_EVENTS_URL, pagerDutyEvent(notice, config.PAGERDUTY_ROUTING_KEY));
  }
}

/** E-mail as configured: ACS with the managed identity in Azure, the local outbox otherwise. */
export function emailSender(config: Pick<Config, 'EMAIL_ACS_ENDPOINT' | 'EMAIL_SENDER' | 'AZURE_CLIENT_ID' | 'LOCAL_DATA_DIR'>, localDataDir = config.LOCAL_DATA_DIR): EmailSender {
  if (config.EMAIL_ACS_ENDPOINT) return new AcsEmailSender(config.EMAIL_ACS_ENDPOINT, credentialFor(config), config.EMAIL_SENDER);
  return new OutboxEmailSender(path.resolve(localDataDir, 'outbox'), config.EMAIL_SENDER);
}

export function dispatchDeps(ctx: AppContext, now: () => Date = () => new Date()): DispatchDeps {
  const queue = openWorkQueue<DeliveryMessage>(QUEUES.alertDeliveries, ctx.config, ctx.storage);
  return {
    config: ctx.config,
    state: new AlertStateStore(ctx.storage.table(TABLES.alertState)),
    deliveries: new DeliveryLog(ctx.storage.table(TABLES.alertDeliveries)),
    enqueue: (messages) => queue.sendMany(messages),
    now,
  };
}

export function deliverDeps(ctx: AppContext): DeliverDeps {
  return {
    config: ctx.config,
    deliveries: new DeliveryLog(ctx.storage.table(TABLES.alertDeliveries)),
    email: emailSender(ctx.config, ctx.localDataDir),
    reports: ctx.storage.container(CONTAINERS.reports),
  };
}
