import type { EmailMessage, PagerDutyAction, PagerDutyEvent, SlackMessage } from './channels.js';
import { pagerDutySeverity } from './channels.js';
import { alertKey, type AlertEvent } from './events.js';
import { ruleFor, type RuleConfig } from './rules.js';

/**
 * How an alert reads in each channel. Everything shown comes from the event (kind, subject,
 * title, details), which by contract holds no patient identifiers; no setting is ever shown.
 */
export type AlertAction = 'trigger' | 'resolve';

export interface Notice {
  readonly event: AlertEvent;
  readonly action: AlertAction;
  /** new, escalated, reminder, reopened, resolved */
  readonly reason: string;
}

const NEXT_STEP: Record<AlertEvent['kind'], string> = {
  calibration_drift: 'Run controls on the device for this analyte and recalibrate if they confirm the shift; hold patient results if QC fails.',
  high_risk_device: 'Plan preventive maintenance or a service visit; check the reasons listed (overdue calibration, error rate, QC).',
  data_drift: 'Check for a change of method, reagent lot, instrument or population behind the drifting tests.',
  pipeline_failure: 'See `lims-mlops status` (run ledger, parked messages) and the Function App logs for the failing stage.',
  outbreak_signal: 'Review the test and region with public health; compare with the weekly review and recent positivity.',
  model_performance: 'Review recent failures the model missed; retrain (`lims-mlops train`) and compare on the same holdout.',
};

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const escapeSlack = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function label(notice: Notice): string {
  return notice.action === 'resolve' ? 'RESOLVED' : notice.event.severity;
}

function detailLines(event: AlertEvent): [string, string][] {
  return Object.entries(event.details)
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => [k.replace(/_/g, ' '), String(v)]);
}

export function alertEmail(notice: Notice, to: readonly string[], config: RuleConfig): EmailMessage {
  const { event } = notice;
  const rule = ruleFor(event.kind);
  const subject = `[${label(notice)}] ${event.title}`;
  const color = notice.action === 'resolve' ? '#15803d' : event.severity === 'CRITICAL' ? '#b91c1c' : event.severity === 'HIGH' ? '#c2410c' : '#a16207';
  const rows = detailLines(event)
    .map(([k, v]) => `<tr><th style="text-align:left;padding:4px 12px 4px 0;color:#4b5563;font-weight:600">${escapeHtml(k)}</th><td style="padding:4px 0">${escapeHtml(v)}</td></tr>`)
    .join('');
  const status = notice.action === 'resolve' ? 'The condition no longer holds; the alert is closed.' : reasonText(notice.reason);
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(subject)}</title></head>` +
    `<body style="margin:0;padding:16px;font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#111827">` +
    `<div style="max-width:640px;margin:auto"><div style="display:inline-block;background:${color};color:#fff;border-radius:4px;padding:2px 8px;font-weight:700;font-size:12px">${escapeHtml(label(notice))}</div>` +
    `<h1 style="font-size:20px;margin:8px 0">${escapeHtml(event.title)}</h1>` +
    `<p style="margin:0 0 12px;color:#374151">${escapeHtml(rule.name)}: ${escapeHtml(rule.condition(config))}. ${escapeHtml(status)}</p>` +
    `<table style="border-collapse:collapse;font-size:14px;margin-bottom:12px"><tr><th style="text-align:left;padding:4px 12px 4px 0;color:#4b5563">subject</th><td>${escapeHtml(event.subject)}</td></tr>` +
    `<tr><th style="text-align:left;padding:4px 12px 4px 0;color:#4b5563">data day</th><td>${escapeHtml(event.day)}</td></tr>${rows}</table>` +
    (notice.action === 'trigger' ? `<p style="margin:0 0 12px"><b>Next step:</b> ${escapeHtml(NEXT_STEP[event.kind])}</p>` : '') +
    `<p style="color:#6b7280;font-size:12px">lims-mlops alert ${escapeHtml(alertKey(event))}, raised by ${escapeHtml(event.source)}. Repeats are not re-sent within the de-duplication window.</p></div></body></html>`;
  const text = [subject, '', `${rule.name}: ${rule.condition(config)}. ${status}`, `subject: ${event.subject}`, `data day: ${event.day}`, ...detailLines(event).map(([k, v]) => `${k}: ${v}`)].join('\n');
  return { to, subject, html, text };
}

function reasonText(reason: string): string {
  switch (reason) {
    case 'escalated':
      return 'Escalated: the severity rose since the last notice.';
    case 'reminder':
      return 'Reminder: the condition still holds.';
    case 'reopened':
      return 'Reopened: the condition holds again after it was resolved.';
    default:
      return 'New alert.';
  }
}

export function slackMessage(notice: Notice): SlackMessage {
  const { event } = notice;
  const icon = notice.action === 'resolve' ? ':white_check_mark:' : event.severity === 'CRITICAL' ? ':rotating_light:' : ':warning:';
  const headline = `${icon} *[${label(notice)}]* ${escapeSlack(event.title)}`;
  const facts = [`*subject:* ${escapeSlack(event.subject)}`, `*data day:* ${event.day}`, ...detailLines(event).slice(0, 8).map(([k, v]) => `*${escapeSlack(k)}:* ${escapeSlack(v)}`)];
  return {
    text: `[${label(notice)}] ${event.title}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: headline } },
      { type: 'section', text: { type: 'mrkdwn', text: facts.join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${notice.action === 'resolve' ? 'resolved' : notice.reason} - ${escapeSlack(alertKey(event))}` }] },
    ],
  };
}

export function pagerDutyEvent(notice: Notice, routingKey: string): PagerDutyEvent {
  const { event } = notice;
  const action: PagerDutyAction = notice.action;
  if (action === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key: alertKey(event) };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: alertKey(event),
    payload: {
      summary: event.title.slice(0, 1024),
      source: `lims-mlops/${event.source}`,
      severity: pagerDutySeverity(event.severity),
      timestamp: new Date().toISOString(),
      component: event.subject,
      group: event.kind,
      class: event.kind,
      custom_details: { ...event.details, day: event.day, reason: notice.reason },
    },
  };
}
